// Shared helpers for the playground's browser tests: a static server for dist/ under a
// sub-path, Chromium through playwright-core, and page helpers that know the app's DOM
// contract (data-testid attributes). Every page fails its test on a console error, a page
// error or the panic banner.
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, stat, readdir, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The Trunk build under test; NETPLAY_DIST points elsewhere (e.g. a build of one's own). */
export const DIST = process.env.NETPLAY_DIST ? path.resolve(process.env.NETPLAY_DIST) : path.join(ROOT, 'dist');
/** What a first visit opens: the example shop with its NetworkPolicies. */
export const DEFAULT_SCENARIO = 'network-policies';
/** The nine-pod fixture many tests load explicitly (a/b/c in namespaces x/y/z). */
export const FIXTURE = 'e2e-multiple-policies-union';
/** The app is served here, not at `/`, to prove the build works from any sub-path. */
export const BASE_PATH = '/netplay/';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Serves `dir` at http://127.0.0.1:<free port><BASE_PATH>; anything outside is a 404. */
export async function startServer(dir = DIST) {
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`${dir}/index.html is missing: run \`trunk build --release --config trunk.toml\` first (tests/run.sh does)`);
  }
  const root = path.resolve(dir);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === BASE_PATH.slice(0, -1)) {
      res.writeHead(301, { Location: BASE_PATH }).end();
      return;
    }
    if (!url.pathname.startsWith(BASE_PATH)) {
      res.writeHead(404).end('not under ' + BASE_PATH);
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(BASE_PATH.length)) || 'index.html';
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const s = await stat(file);
      const target = s.isDirectory() ? path.join(file, 'index.html') : file;
      const body = await readFile(target);
      res.writeHead(200, {
        'Content-Type': MIME[path.extname(target)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${BASE_PATH}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Debian's Chromium, headless. playwright-core gives each launch a fresh user-data dir. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * The static server and Chromium for one test file: started before its first test and
 * stopped after its last. Every test file opens with `const app = useApp();` and reaches
 * them as `app.browser` and `app.url`. `setup` runs first (before the server starts) and
 * `teardown` last, for what a file prepares of its own.
 */
export function useApp({ setup, teardown } = {}) {
  const app = {
    server: null,
    browser: null,
    get url() {
      return this.server.url;
    },
  };
  before(async () => {
    await setup?.();
    app.server = await startServer();
    app.browser = await launchBrowser();
  });
  after(async () => {
    await app.browser?.close();
    await app.server?.close();
    await teardown?.();
  });
  return app;
}

// Runs in the page before the app: records whether #panic-banner ever becomes visible and
// when the DOM last changed (outside SVG, whose layout may animate), so tests can wait
// for the app to settle after the 300 ms re-evaluation delay.
function pageProbe() {
  window.__np = { panic: null, lastMutation: performance.now(), mutations: 0, csp: [] };
  // Content-Security-Policy violations (the page runs under a strict policy).
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__np.csp.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
  const visible = (el) => {
    if (!el || el.hidden) return false;
    const style = getComputedStyle(el);
    return style.display !== 'none' && style.visibility !== 'hidden';
  };
  const check = () => {
    const banner = document.getElementById('panic-banner');
    if (!window.__np.panic && visible(banner)) {
      window.__np.panic = (banner.textContent || '').trim() || '(empty panic banner)';
    }
  };
  const start = () => {
    new MutationObserver((records) => {
      if (records.some((r) => !(r.target instanceof SVGElement))) {
        window.__np.lastMutation = performance.now();
        window.__np.mutations += 1;
      }
      check();
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    check();
  };
  if (document.documentElement) start();
  else document.addEventListener('DOMContentLoaded', start);
}

/**
 * A fresh browser context (no storage) and page at `url`, waiting until the app has
 * rendered its first evaluation. `page.problems` collects console errors, page errors and
 * failed requests; `assertClean(page)` fails on any of them or a panic banner.
 */
export async function openApp(browser, url, { viewport = { width: 1440, height: 900 }, waitReady = true, init } = {}) {
  const context = await browser.newContext({ viewport, colorScheme: 'light', acceptDownloads: true });
  await context.addInitScript(pageProbe);
  if (init) await context.addInitScript(init);
  return openPage(context, url, { waitReady });
}

/**
 * Another page (a new tab) in an existing context: same storage as the context's other
 * pages, its own session storage. Tracked like `openApp`'s pages.
 */
export async function openPage(context, url, { waitReady = true } = {}) {
  const page = await context.newPage();
  page.problems = [];
  // Every request the page makes (tests check that nothing leaves its own origin).
  page.requests = [];
  page.on('request', (req) => page.requests.push(req.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    // Blob/data URLs of downloads are cancelled by design once saved.
    if (!/^(blob|data):/.test(req.url())) page.problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) page.problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(url);
  if (waitReady) await waitReadyApp(page);
  return page;
}

/** The app is up: scenario list, editor and a finished evaluation are in the DOM. */
export async function waitReadyApp(page) {
  await page.locator('[data-testid=scenario-select]').waitFor({ timeout: 30_000 });
  await page.locator('textarea[data-testid=editor]').waitFor();
  await page.locator('[data-testid=status][data-eval-ms]').waitFor();
  await settle(page);
}

/**
 * Waits for the app to settle: at least `quietMs` since this call and since the last DOM
 * change. Covers the 300 ms re-evaluation delay after an edit plus the evaluation itself.
 */
export async function settle(page, quietMs = 600) {
  const since = await page.evaluate(() => performance.now());
  await page.waitForFunction(
    ({ since, quietMs }) => {
      const now = performance.now();
      return now - since >= quietMs && now - window.__np.lastMutation >= quietMs;
    },
    { since, quietMs },
    { timeout: 20_000, polling: 50 },
  );
}

export async function assertClean(page) {
  const csp = await page.evaluate(() => window.__np?.csp ?? []).catch(() => []);
  assert.deepEqual(csp, [], 'Content-Security-Policy violations');
  const panic = await page.evaluate(() => window.__np?.panic ?? null).catch(() => null);
  assert.equal(panic, null, `the panic banner appeared: ${panic}`);
  assert.equal(await page.locator('#panic-banner:visible').count(), 0, 'the panic banner is visible');
  assert.deepEqual(page.problems, [], 'the page reported errors');
}

/** Reloads the page and waits for the app. */
export async function reload(page) {
  await page.reload();
  await waitReadyApp(page);
}

/** Closes the page's context after checking it stayed clean. */
export async function finish(page) {
  try {
    await assertClean(page);
  } finally {
    await page.context().close();
  }
}

export const editor = (page) => page.locator('textarea[data-testid=editor]');
/**
 * The active file's whole text. A long file's textarea holds only a window of its lines
 * (`data-window`): it is read as a user copies it, Ctrl+A then a copy event (whose
 * clipboard data the editor fills with the whole text). Ctrl+A stays in effect: what is
 * typed or pasted next replaces the whole text.
 */
export async function editorText(page) {
  if (!(await editor(page).getAttribute('data-window'))) return editor(page).inputValue();
  await editor(page).focus();
  await page.keyboard.press('Control+A');
  return editor(page).evaluate((t) => {
    const data = new DataTransfer();
    t.dispatchEvent(new ClipboardEvent('copy', { clipboardData: data, bubbles: true, cancelable: true }));
    return data.getData('text/plain');
  });
}
export const status = (page) => page.locator('[data-testid=status]');

/** Selects a built-in scenario and waits for it to load and evaluate. */
export async function chooseScenario(page, name) {
  await page.locator('[data-testid=scenario-select]').selectOption(name);
  await settle(page);
  assert.equal(await page.locator('[data-testid=scenario-select]').inputValue(), name);
}

/** A fresh page showing the nine-pod fixture (many tests are written against it). */
export async function openFixture(browser, url, options) {
  const page = await openApp(browser, url, options);
  await chooseScenario(page, FIXTURE);
  return page;
}

/** The names of the editor's file tabs, in order. */
export async function tabNames(page) {
  return page.locator('[data-testid=tab]').evaluateAll((tabs) => tabs.map((t) => t.dataset.name));
}

/** The name of the file the editor shows. */
export async function activeTab(page) {
  return page.locator('[data-testid=tab][aria-current=true]').getAttribute('data-name');
}

/** Every file of the loaded scenario: name -> text, read through the tabs. */
export async function allFiles(page) {
  const files = {};
  for (const name of await tabNames(page)) {
    await openTab(page, name);
    files[name] = await editorText(page);
  }
  return files;
}

export async function openExportMenu(page) {
  const menu = page.locator('details[data-testid=export-menu]');
  if (!(await menu.evaluate((d) => d.open))) await menu.locator('summary').click();
  assert.ok(await menu.evaluate((d) => d.open), 'the export menu did not open');
}

/** Clicks an export button and returns { name, bytes } of the download it starts. */
export async function exportFile(page, testid) {
  await openExportMenu(page);
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 15_000 }),
    page.locator(`[data-testid=${testid}]`).click(),
  ]);
  const file = await download.path();
  assert.ok(file, `${testid}: the download failed: ${await download.failure()}`);
  return { name: download.suggestedFilename(), bytes: await readFile(file) };
}

/** Clicks Share and returns the link it made. */
export async function shareLink(page) {
  await page.locator('[data-testid=share]').click();
  const input = page.locator('input[data-testid=share-link]');
  await input.waitFor();
  return input.inputValue();
}

/** Makes the tab called `name` the editor's file. */
export async function openTab(page, name) {
  await page.locator(`[data-testid=tab][data-name="${name}"]`).click();
  await settle(page, 300);
}

/** Replaces the editor's text as typing would (an input event), then waits for re-evaluation. */
export async function setEditorText(page, text) {
  await editor(page).fill(text);
  await settle(page);
}

export async function showMatrix(page) {
  await page.locator('[data-testid=view-matrix]').click();
  await page.locator('table[data-testid=matrix]').waitFor();
}

export function cell(page, src, dst) {
  return page.locator(`table[data-testid=matrix] td.cell[data-src="${src}"][data-dst="${dst}"]`);
}

/** All matrix cells as plain objects. */
export function matrixCells(page) {
  return page.$$eval('table[data-testid=matrix] td.cell', (tds) =>
    tds.map((td) => ({
      src: td.dataset.src,
      dst: td.dataset.dst,
      conn: td.dataset.conn,
      change: td.dataset.change,
      probe: td.dataset.probe ?? null,
    })),
  );
}

/** Names of the files of the built-in scenarios, read the way crates/web/build.rs does. */
async function manifestFiles(dir) {
  const out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await manifestFiles(p)));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * The built-in scenarios with their total text size, as crates/web/build.rs compiles them
 * in: each directory of manifests/ (plus the top-level files), "everything", and each
 * tests/scenarios/<name>/.
 */
export async function builtinScenarios() {
  const size = async (files) => {
    let n = 0;
    for (const f of files) n += (await stat(f)).size;
    return n;
  };
  const result = [];
  const manifests = path.join(ROOT, 'manifests');
  const all = await manifestFiles(manifests);
  if (all.length > 0) {
    const top = all.filter((f) => path.dirname(f) === manifests);
    const dirs = (await readdir(manifests, { withFileTypes: true })).filter((e) => e.isDirectory());
    for (const d of dirs) {
      const files = [...top, ...(await manifestFiles(path.join(manifests, d.name)))];
      result.push({ name: d.name, files, bytes: await size(files) });
    }
    result.push({ name: 'everything', files: all, bytes: await size(all) });
  }
  const scenarios = path.join(ROOT, 'tests/scenarios');
  for (const d of await readdir(scenarios, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const files = await manifestFiles(path.join(scenarios, d.name));
    result.push({ name: d.name, files, bytes: await size(files) });
  }
  return result;
}

/**
 * Where the suite's screenshots go: NETPLAY_SHOTS, else a directory under the system's
 * temp dir (printed once). Tests never write into the repository.
 */
export const SHOTS = process.env.NETPLAY_SHOTS ? path.resolve(process.env.NETPLAY_SHOTS) : path.join(tmpdir(), 'netplay-e2e-shots');

/** Saves a screenshot of the page as SHOTS/<name>.png and returns its path. */
export async function screenshot(page, name, options = {}) {
  await mkdir(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, ...options });
  console.log(`screenshot: ${file}`);
  return file;
}
