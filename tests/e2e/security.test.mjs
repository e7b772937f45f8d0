// Web security: the page runs under a strict Content-Security-Policy with no violation,
// makes no request besides its own files, and never turns user text into HTML (names,
// labels, annotations, file names and the scenario name holding <script> and
// <img onerror>). Every test of the suite also fails on a CSP violation (harness.mjs).
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/security.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ROOT, DIST, useApp, openApp, finish, settle, setEditorText, chooseScenario,
  showMatrix, exportFile,
} from './harness.mjs';

const app = useApp();

/** The policy of the built page, directive -> sources. */
async function policy() {
  const html = await readFile(path.join(DIST, 'index.html'), 'utf8');
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
  assert.ok(m, 'dist/index.html has no Content-Security-Policy meta tag');
  return Object.fromEntries(m[1].split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([k, ...v]) => [k, v]));
}

test('the page declares a strict Content-Security-Policy and has no inline script', async () => {
  const csp = await policy();
  assert.deepEqual(csp['default-src'], ["'self'"]);
  assert.deepEqual(csp['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(csp['style-src'], ["'self'"]);
  assert.deepEqual(csp['object-src'], ["'none'"]);
  assert.ok(["'self'", "'none'"].includes(csp['connect-src'].join(' ')), `connect-src ${csp['connect-src']}`);
  const html = await readFile(path.join(DIST, 'index.html'), 'utf8');
  const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter(([, attrs, body]) => body.trim() || !/\bsrc=/.test(attrs));
  assert.deepEqual(inline.map((m) => m[0].slice(0, 80)), [], 'inline scripts in dist/index.html');
  assert.ok(!/\sstyle="/.test(html), 'inline style attributes in dist/index.html');
});

test('every view and export runs under the policy, and nothing leaves the page\'s own files', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    for (const v of ['view-matrix', 'view-mesh', 'view-clusters', 'view-plan', 'view-graph']) {
      await page.locator(`[data-testid=${v}]`).click();
      await settle(page, 300);
    }
    await chooseScenario(page, 'mesh/bookinfo-weighted-90-10');
    await page.locator('[data-testid=view-mesh]').click();
    await page.locator('[data-testid=mesh-example]').first().click();
    await page.locator('[data-testid=mesh-show-graph]').click();
    await settle(page, 300);
    await exportFile(page, 'export-png');
    await exportFile(page, 'export-svg');
    await exportFile(page, 'export-bundle');
    await page.locator('[data-testid=share]').click();
    await page.locator('[data-testid=theme]').click();
    await settle(page, 300);
    const own = new URL(app.url);
    const elsewhere = page.requests.filter((u) => {
      if (/^(blob|data):/.test(u)) return false;
      const url = new URL(u);
      return url.origin !== own.origin || !url.pathname.startsWith(own.pathname);
    });
    assert.deepEqual(elsewhere, [], 'requests outside the page\'s own files');
    // Every file of the build, in subdirectories too (the examples in builtin/).
    const files = new Set(
      (await readdir(DIST, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.relative(DIST, path.join(e.parentPath, e.name)).split(path.sep).join('/')),
    );
    const unknown = page.requests
      .filter((u) => !/^(blob|data):/.test(u))
      .map((u) => decodeURIComponent(new URL(u).pathname.slice(own.pathname.length)) || 'index.html')
      .filter((f) => !files.has(f));
    assert.deepEqual(unknown, [], 'requests for files the build does not have');
    // finish() also fails on any CSP violation the page reported.
  } finally {
    await finish(page);
  }
});

const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

test('user text is never inserted as HTML: names, labels, annotations, files, scenario name', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'netplay-xss-'));
  const page = await openApp(app.browser, app.url);
  try {
    const yaml = (name) => [
      'apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${JSON.stringify(name)}`, `  namespace: ${JSON.stringify(name)}`,
      `  labels: {app: ${JSON.stringify(name)}}`, `  annotations: {note: ${JSON.stringify(name)}}`,
      'spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 80}]}]}', '---',
      'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata:', `  name: ${JSON.stringify(name)}`, `  namespace: ${JSON.stringify(name)}`,
      'spec:', '  podSelector: {}', '  ingress:', `  - from: [{podSelector: {matchLabels: {app: ${JSON.stringify(name)}}}}]`, '',
    ].join('\n');
    await chooseScenario(page, 'np-deny-all-ingress');
    await setEditorText(page, yaml(EVIL));
    // A file whose name is markup, opened like any file.
    const file = path.join(dir, 'x.yaml');
    await writeFile(file, yaml(`${EVIL}-2`));
    await page.locator('[data-testid=open-files] input[type=file]').setInputFiles(file);
    await settle(page);
    for (const v of ['view-graph', 'view-matrix', 'view-mesh', 'view-plan']) {
      await page.locator(`[data-testid=${v}]`).click();
      await settle(page, 300);
    }
    await showMatrix(page);
    await page.locator('table[data-testid=matrix] td.cell[role=button]').first().focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=explain]').waitFor();
    await page.locator('[data-testid=problems-summary]').click();
    await settle(page, 300);
    const injected = await page.evaluate(() => ({
      pwned: window.__pwned ?? null,
      imgs: document.querySelectorAll('img').length,
      scripts: [...document.scripts].filter((s) => s.textContent.includes('__pwned')).length,
      shown: document.body.innerText.includes('<img src=x onerror='),
    }));
    assert.deepEqual(injected, { pwned: null, imgs: 0, scripts: 0, shown: true });
  } finally {
    await finish(page);
    await rm(dir, { recursive: true, force: true });
  }
});

test('the web crate has no way to insert HTML text, nor inline styles (grep-able rules)', async () => {
  // Yew renders text as text; these are the only ways around that. Style attributes
  // would break the Content-Security-Policy (style-src 'self').
  const forbidden = /\b(inner_html|set_inner_html|outer_html|set_outer_html|insert_adjacent_html|from_html_unchecked|VRaw|document\.write)\b|\bstyle=[{"]/;
  const offenders = [];
  const walk = async (dir) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.(rs|js)$/.test(e.name)) {
        (await readFile(p, 'utf8')).split('\n').forEach((line, i) => {
          if (forbidden.test(line)) offenders.push(`${path.relative(ROOT, p)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  };
  await walk(path.join(ROOT, 'crates/web/src'));
  await walk(path.join(ROOT, 'www'));
  assert.deepEqual(offenders, []);
});
