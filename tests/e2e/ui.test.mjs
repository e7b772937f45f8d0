// The playground as people use it: controls that show what they use, a layout that fills
// the window in every built-in scenario, the keyboard, errors in words with the last good
// result kept, finding files and rows, and the smaller details (About as Markdown, the
// probe's format, a scenario that is no longer the example it came from).
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/ui.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  FIXTURE, useApp, openApp, openFixture, finish, settle, editor, editorText,
  setEditorText, chooseScenario, openTab, showMatrix, cell, builtinScenarios, tabNames, activeTab, status, screenshot,
} from './harness.mjs';

const app = useApp();

// ---------------------------------------------------------------------------------------
// Controls show what they use.

test('Mesh: after switching scenario, From shows the client that Send uses', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'mesh/bookinfo-weighted-90-10');
    await page.locator('[data-testid=view-mesh]').click();
    await page.locator('[data-testid=mesh-from]').selectOption('bookinfo/productpage-v1[Deployment]');
    await chooseScenario(page, 'mesh/authorization');
    const from = await page.locator('[data-testid=mesh-from]').inputValue();
    const options = await page.locator('[data-testid=mesh-from] option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(options.includes(from), `From shows ${from}, which is not an option`);
    assert.equal(await page.locator('[data-testid=mesh-outcome]').count(), 0, 'the old scenario\'s answer is still shown');
    await page.locator('[data-testid=mesh-url]').fill('http://httpbin.foo:8000/headers');
    await page.locator('[data-testid=mesh-send]').click();
    await settle(page, 300);
    assert.equal(await page.locator('[data-testid=mesh-error]').count(), 0,
      await page.locator('[data-testid=mesh-error]').allInnerTexts().then((t) => t.join()));
    assert.equal(await page.locator('[data-testid=mesh-outcome]').getAttribute('data-from'), from, 'Send used another client');
  } finally {
    await finish(page);
  }
});

test('Clusters: when the chosen client disappears, From and Resolve agree on the new one', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'multi-cluster');
    await page.keyboard.press('c');
    const select = page.locator('[data-testid=clusters-from]');
    await select.selectOption('west/store/storefront');
    // Rename the client in the YAML: the option goes away.
    for (const name of await tabNames(page)) {
      await openTab(page, name);
      const text = await editorText(page);
      if (text.includes('name: storefront')) await setEditorText(page, text.replaceAll('name: storefront', 'name: shopfront'));
    }
    const shown = await select.inputValue();
    const options = await select.locator('option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(!options.includes('west/store/storefront') && options.includes(shown), `From shows ${shown}`);
    await page.locator('[data-testid=clusters-name]').fill('catalog.store.svc.clusterset.local');
    await page.locator('[data-testid=clusters-resolve]').click();
    await settle(page, 300);
    const used = await page.locator('[data-testid=clusters-result]').getAttribute('data-from');
    assert.ok(used.startsWith(`${shown}[`), `Resolve answered for ${used}, From shows ${shown}`);
  } finally {
    await finish(page);
  }
});

// ---------------------------------------------------------------------------------------
// Layout.

/** The frame's geometry: the status bar at the bottom, the toolbar one row high. */
function frame() {
  const rect = (sel) => document.querySelector(sel)?.getBoundingClientRect();
  const toolbar = document.querySelector('.toolbar');
  // Centres of the toolbar's items: one row when they differ by less than half an item.
  const centres = [...toolbar.children].filter((c) => c.offsetParent !== null)
    .map((c) => { const r = c.getBoundingClientRect(); return r.top + r.height / 2; });
  return {
    height: innerHeight,
    status: rect('[data-testid=status]'),
    workspace: rect('.workspace'),
    toolbarRows: Math.max(...centres) - Math.min(...centres) < 14 ? 1 : 2,
    toolbarHeight: rect('.toolbar').height,
    toolbarScrolls: toolbar.scrollWidth > toolbar.clientWidth + 1,
    problemsOpen: document.querySelector('[data-testid=problems-panel]')?.open ?? false,
  };
}

test('every built-in scenario fills the window at 1440×900 and 1280×720', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    const bad = [];
    for (const { name } of await builtinScenarios()) {
      for (const size of [{ width: 1440, height: 900 }, { width: 1280, height: 720 }]) {
        await page.setViewportSize(size);
        if ((await page.locator('[data-testid=scenario-select]').inputValue()) !== name) await chooseScenario(page, name);
        else await settle(page, 200);
        const f = await page.evaluate(frame);
        const where = `${name} at ${size.width}×${size.height}`;
        if (Math.abs(f.status.bottom - f.height) > 1) bad.push(`${where}: the status bar ends at ${f.status.bottom}, not ${f.height}`);
        if (Math.abs(f.workspace.bottom - f.status.top) > 1) bad.push(`${where}: the workspace ends at ${f.workspace.bottom}, the status bar starts at ${f.status.top}`);
        if (f.toolbarRows !== 1 || f.toolbarHeight > 48 || f.toolbarScrolls) bad.push(`${where}: the toolbar wraps or scrolls (${JSON.stringify(f)})`);
        if (f.problemsOpen) bad.push(`${where}: the Problems panel opened by itself`);
      }
    }
    assert.deepEqual(bad, []);
  } finally {
    await finish(page);
  }
});

// ---------------------------------------------------------------------------------------
// Keyboard.

test('Enter and Space on a matrix cell open Why?; arrows move between cells', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'np-named-port-ingress');
    await showMatrix(page);
    const c = cell(page, 'shop/web[Pod]', 'shop/api[Deployment]');
    await c.focus();
    await page.keyboard.press('Enter');
    const explain = page.locator('[data-testid=explain]');
    await explain.waitFor();
    assert.match(await explain.innerText(), /Verdict/);
    await page.keyboard.press('Escape');
    assert.equal(await explain.count(), 0, 'Esc does not close the explanation');
    await c.focus();
    await page.keyboard.press('ArrowRight');
    const focused = await page.evaluate(() => [document.activeElement.dataset.src, document.activeElement.dataset.dst]);
    assert.equal(focused[0], 'shop/web[Pod]');
    assert.notEqual(focused[1], 'shop/api[Deployment]');
    await page.keyboard.press(' ');
    await explain.waitFor();
    assert.match(await explain.innerText(), new RegExp(focused[1].replace(/[[\]/]/g, '\\$&')));
  } finally {
    await finish(page);
  }
});

test('Tab indents in the editor; Esc then Tab leaves it (no keyboard trap); file tabs are reachable', async () => {
  const page = await openFixture(app.browser, app.url);
  try {
    const original = await editorText(page);
    await editor(page).click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('Tab');
    assert.equal(await editorText(page), `  ${original}`, 'Tab does not indent');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    const out = await page.evaluate(() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName);
    assert.notEqual(out, 'editor', 'Esc then Tab stayed in the editor');
    assert.equal(await editorText(page), `  ${original}`, 'the second Tab indented');
    // Back into the editor and out backwards to the file tabs: Shift+Tab.
    await editor(page).focus();
    let reached = null;
    for (let i = 0; i < 8 && !reached; i++) {
      await page.keyboard.press('Shift+Tab');
      reached = await page.evaluate(() => (document.activeElement?.dataset?.testid === 'tab' ? document.activeElement.dataset.name : null));
    }
    assert.ok(reached, 'no file tab is reachable with the keyboard');
    const current = await activeTab(page);
    const other = (await tabNames(page)).find((n) => n !== current);
    await page.locator(`[data-testid=tab][data-name="${other}"]`).focus();
    await page.keyboard.press('Enter');
    await settle(page, 300);
    assert.equal(await activeTab(page), other, 'Enter on a file tab does not open it');
  } finally {
    await finish(page);
  }
});

test('Help lists every shortcut, c included', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await page.keyboard.press('?');
    const help = page.locator('[data-testid=help-dialog]');
    await help.waitFor();
    const keys = await help.locator('[data-testid=shortcuts] dt').allInnerTexts();
    for (const k of ['g', 'm', 'i', 'c', 'p', 'h', '?', 'Esc', 'Ctrl+S', 'Ctrl+Enter']) {
      assert.ok(keys.some((t) => t.split(/[ /,]+/).includes(k)), `Help does not list ${k}: ${keys}`);
    }
    assert.ok(keys.some((t) => t.includes('Esc, then Tab')), 'Help does not say how to leave the editor');
    // Each listed view shortcut works.
    await page.keyboard.press('Escape');
    for (const [key, view] of [['m', 'view-matrix'], ['i', 'view-mesh'], ['c', 'view-clusters'], ['p', 'view-plan'], ['g', 'view-graph']]) {
      await page.keyboard.press(key);
      assert.equal(await page.locator(`[data-testid=${view}]`).getAttribute('aria-pressed'), 'true', `${key} does not show ${view}`);
    }
  } finally {
    await finish(page);
  }
});

// ---------------------------------------------------------------------------------------
// Errors.

test('broken YAML: the last good result stays on screen, marked stale, with no false "removed"', async () => {
  const page = await openFixture(app.browser, app.url);
  try {
    await openTab(page, 'policy.yaml');
    const good = await editorText(page);
    const connections = await status(page).getAttribute('data-connections');
    const lines = good.split('\n');
    // Indent a line more than the key above it: the document no longer parses.
    const i = lines.findIndex((l) => /^ {2}namespace:/.test(l));
    lines[i] = `  ${lines[i]}`;
    await setEditorText(page, lines.join('\n'));
    const stale = page.locator('[data-testid=stale]');
    await stale.waitFor();
    assert.match(await stale.innerText(), /does not parse/);
    assert.match(await stale.innerText(), new RegExp(`policy\\.yaml:${i + 1}\\b`), `the note does not point at line ${i + 1}`);
    assert.match(await stale.innerText(), new RegExp(`line ${i + 1} is indented more than the key above it`));
    assert.equal((await page.locator('[data-testid=diff-summary]').innerText()).trim(), '+0 −0 ~0 since checkpoint',
      'a document that does not parse shows as removed connections');
    assert.equal(await status(page).getAttribute('data-connections'), connections);
    assert.equal(await page.locator('.view-main').getAttribute('data-stale'), 'true');
    await setEditorText(page, good);
    assert.equal(await stale.count(), 0, 'still marked stale after the fix');
  } finally {
    await finish(page);
  }
});

// ---------------------------------------------------------------------------------------
// Finding things.

test('many files: a searchable file list, and the active tab scrolled into view', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'everything');
    const names = await tabNames(page);
    assert.ok(names.length >= 13, `everything has ${names.length} files`);
    const last = names[names.length - 1];
    await page.locator('[data-testid=file-list-toggle]').click();
    // The search ignores case.
    await page.locator('[data-testid=file-search]').fill(path.basename(last, path.extname(last)).toUpperCase());
    await page.keyboard.press('Enter');
    await settle(page, 300);
    assert.equal(await activeTab(page), last);
    const visible = await page.evaluate(() => {
      const tab = document.querySelector('[data-testid=tab][aria-current=true]').getBoundingClientRect();
      const strip = document.querySelector('.tabs').getBoundingClientRect();
      return tab.left >= strip.left - 1 && tab.right <= strip.right + 1;
    });
    assert.ok(visible, 'the active tab is scrolled out of sight');
  } finally {
    await finish(page);
  }
});

test('the matrix sorts names naturally and filters by namespace; Problems put errors before notes', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    const pod = (ns, name) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {containers: [{name: c, image: i}]}\n---\n`;
    const text = ['api-11', 'api-16', 'api-1', 'api-6'].map((n) => pod('shop', n)).join('') + pod('other', 'x') +
      // A note (NP1006: an Egress policy without rules denies all egress) and an error.
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: no-egress, namespace: other}\n' +
      'spec: {podSelector: {}, policyTypes: [Egress]}\n---\nkind: Broken\n';
    await chooseScenario(page, 'np-deny-all-ingress');
    await setEditorText(page, text);
    await showMatrix(page);
    const rows = await page.locator('table[data-testid=matrix] th.row-head').evaluateAll((ths) => ths.map((t) => t.title));
    const shop = rows.filter((r) => /^shop\/api-\d+\[/.test(r));
    assert.deepEqual(shop, ['shop/api-1[Pod]', 'shop/api-6[Pod]', 'shop/api-11[Pod]', 'shop/api-16[Pod]']);
    await page.locator('[data-testid=matrix-namespace]').selectOption('other');
    const only = await page.locator('table[data-testid=matrix] th.row-head').evaluateAll((ths) => ths.map((t) => t.title));
    assert.ok(only.includes('other/x[Pod]') && only.every((r) => r.startsWith('other/')), `namespace other shows ${only}`);
    // Problems: errors and warnings first, notes folded into one group.
    await page.locator('[data-testid=problems-summary]').click();
    const severities = await page.locator('ul[data-testid=problems] > [data-testid=problem]').evaluateAll((ls) => ls.map((l) => l.dataset.severity));
    assert.ok(severities.length > 0 && severities.every((s) => s !== 'info'), `top-level problems: ${severities}`);
    const order = severities.map((s) => ({ error: 0, warning: 1 })[s]);
    assert.deepEqual(order, [...order].sort(), 'errors come before warnings');
    assert.ok((await page.locator('[data-testid=notes] [data-testid=problem]').count()) >= 1, 'the notes are not grouped');
  } finally {
    await finish(page);
  }
});

test('a matrix of 1,000 workloads is virtualised: only the visible cells are in the DOM', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'netplay-matrix-'));
  const page = await openApp(app.browser, app.url);
  try {
    let text = '';
    for (let n = 0; n < 10; n++) {
      text += `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ns-${n}}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n---\n`;
      for (let i = 0; i < 100; i++) {
        text += `apiVersion: v1\nkind: Pod\nmetadata: {name: w-${i}, namespace: ns-${n}, labels: {app: w-${i}}}\nspec: {containers: [{name: c, image: i}]}\n---\n`;
      }
    }
    const file = path.join(dir, 'big.yaml');
    await writeFile(file, text);
    await chooseScenario(page, 'np-deny-all-ingress');
    await page.locator('[data-testid=open-files] input[type=file]').setInputFiles(file);
    await page.waitForFunction(() => / 1,?00\d workloads/.test(' ' + document.querySelector('[data-testid=status-counts]').innerText), null, { timeout: 60_000 })
      .catch(async (e) => {
        await screenshot(page, 'matrix-1000-failed');
        throw new Error(`${e.message}: the status says ${await page.locator('[data-testid=status-counts]').innerText()}`);
      });
    await settle(page);
    const ms = await page.evaluate(async () => {
      const start = performance.now();
      document.querySelector('[data-testid=view-matrix]').click();
      while (!document.querySelector('table[data-testid=matrix]')) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - start;
    });
    // Above 150 endpoints it opens by namespace (large.test.mjs); every workload is a click away.
    assert.equal(await page.locator('table[data-testid=matrix]').getAttribute('data-summary'), 'true');
    console.log(`matrix: 1,002 workloads summarised by namespace in ${ms.toFixed(1)} ms`);
    const every = await page.evaluate(async () => {
      const start = performance.now();
      document.querySelector('[data-testid=matrix-every]').click();
      while (!document.querySelector('table[data-testid=matrix][data-summary=false]')) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - start;
    });
    const cells = await page.locator('table[data-testid=matrix] td.cell').count();
    // The time is printed, not asserted (a duration flakes on a busy machine); the 200 ms
    // target is judged by the browser benchmark.
    console.log(`matrix: 1,002 workloads rendered in ${every.toFixed(1)} ms (${cells} cells in the DOM; target 200 ms)`);
    assert.equal(await page.locator('table[data-testid=matrix]').getAttribute('data-virtual'), 'true');
    assert.ok(cells < 5000, `${cells} cells rendered: not virtualised`);
    // Scrolling to the end shows the last rows.
    await page.locator('.matrix-scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await settle(page, 300);
    const rows = await page.locator('table[data-testid=matrix] th.row-head').evaluateAll((ths) => ths.map((t) => t.title));
    assert.ok(rows.includes('ns-9/w-99[Pod]'), `the last row is not reachable: ${rows.slice(-3)}`);
  } finally {
    await finish(page);
    await rm(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------
// Smaller things.

test('About renders the README as Markdown, and goes once the content is replaced', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'np-deny-all-ingress');
    const about = page.locator('[data-testid=about]');
    await about.locator('summary').click();
    assert.ok((await about.locator('code').count()) > 0, 'inline code is not rendered');
    assert.ok(!(await about.innerText()).includes('`'), 'raw Markdown backticks are shown');
    // Replace every file with unrelated content: the work is no longer the example.
    for (const name of await tabNames(page)) {
      await openTab(page, name);
      await setEditorText(page, 'apiVersion: v1\nkind: Pod\nmetadata: {name: mine, namespace: elsewhere}\nspec: {containers: [{name: c, image: i}]}\n');
    }
    const select = page.locator('[data-testid=scenario-select]');
    assert.equal(await select.inputValue(), '');
    assert.doesNotMatch(await select.locator('option:checked').innerText(), /np-deny-all-ingress/);
    assert.equal(await about.count(), 0, 'About still describes the replaced example');
    assert.doesNotMatch(await page.title(), /np-deny-all-ingress/);
  } finally {
    await finish(page);
  }
});

test('an invalid probe says which format it expects', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await page.locator('[data-testid=probe]').fill('foo');
    await settle(page, 200);
    const hint = page.locator('[data-testid=probe-problem]');
    assert.match(await hint.innerText(), /8080\/TCP/);
    assert.equal(await page.locator('[data-testid=probe]').getAttribute('aria-invalid'), 'true');
    await page.locator('[data-testid=probe]').fill('TCP 8080');
    await settle(page, 200);
    assert.equal(await hint.count(), 0);
  } finally {
    await finish(page);
  }
});

test('a long share link comes with the advice to send the bundle file instead', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'everything');
    await page.locator('[data-testid=share]').click();
    const message = page.locator('[data-testid=message]');
    await message.waitFor();
    assert.match(await message.innerText(), /send the bundle file instead/);
  } finally {
    await finish(page);
  }
});

test('the fixture stays loadable by name', async () => {
  const page = await openFixture(app.browser, app.url);
  try {
    assert.equal(await page.locator('[data-testid=scenario-select]').inputValue(), FIXTURE);
  } finally {
    await finish(page);
  }
});
