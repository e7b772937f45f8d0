// The graph people read: on the example library no arrow crosses a box, no label covers
// another or a box or is cut off; namespaces collapse into one box with aggregated
// arrows; external ranges are grouped; selecting a workload shows its neighbourhood only,
// with "why (not)?" towards any other endpoint; the count agrees with the status bar.
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/graph.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useApp, openApp, finish, settle, chooseScenario, status, screenshot } from './harness.mjs';

const app = useApp();

/** Geometry problems of the drawn graph, measured in the page (SVG user units). */
function problems() {
  const svg = document.querySelector('svg[data-testid=graph]');
  const found = [];
  const nodes = [...svg.querySelectorAll('g.node')].map((g) => ({ id: g.dataset.node, box: g.querySelector('rect').getBBox() }));
  const inside = (p, b) => p.x > b.x + 1 && p.x < b.x + b.width - 1 && p.y > b.y + 1 && p.y < b.y + b.height - 1;
  const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  for (const g of svg.querySelectorAll('g.edge')) {
    const path = g.querySelector('path.edge-line');
    const len = path.getTotalLength();
    const ends = [path.getPointAtLength(0), path.getPointAtLength(len)];
    for (const n of nodes) {
      // Its own ends are the boxes the arrow starts or ends on.
      if (ends.some((e) => e.x >= n.box.x - 1 && e.x <= n.box.x + n.box.width + 1 && e.y >= n.box.y - 1 && e.y <= n.box.y + n.box.height + 1)) continue;
      for (let d = 0; d <= len; d += 4) {
        if (inside(path.getPointAtLength(d), n.box)) {
          found.push(`arrow ${g.dataset.src} → ${g.dataset.dst} crosses ${n.id}`);
          break;
        }
      }
    }
  }
  const labels = [...svg.querySelectorAll('.edge-label')].map((t) => ({ text: t.textContent, box: t.getBBox() }));
  const view = svg.viewBox.baseVal;
  for (const [i, a] of labels.entries()) {
    for (const b of labels.slice(i + 1)) if (overlap(a.box, b.box)) found.push(`labels "${a.text}" and "${b.text}" overlap`);
    for (const n of nodes) if (overlap(a.box, n.box)) found.push(`label "${a.text}" covers ${n.id}`);
    if (a.box.x < view.x || a.box.y < view.y || a.box.x + a.box.width > view.x + view.width || a.box.y + a.box.height > view.y + view.height) {
      found.push(`label "${a.text}" is cut off`);
    }
  }
  return found;
}

const graph = (page) => page.locator('svg[data-testid=graph]');

test('the example library draws legibly: no arrow through a box, no label overlap or cut', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    const bad = [];
    for (const name of ['network-policies', 'applications', 'istio-config', 'troubleshooting', 'custom-cni', 'everything']) {
      await chooseScenario(page, name);
      await page.locator('[data-testid=view-graph]').click();
      await graph(page).waitFor();
      await screenshot(page, `graph-${name.replaceAll('/', '-')}`);
      bad.push(...(await page.evaluate(problems)).map((p) => `${name}: ${p}`));
      // Everything expanded too.
      await page.locator('[data-testid=graph-expand-all]').click();
      await settle(page, 300);
      await screenshot(page, `graph-${name.replaceAll('/', '-')}-expanded`);
      bad.push(...(await page.evaluate(problems)).map((p) => `${name} expanded: ${p}`));
    }
    assert.deepEqual(bad, []);
  } finally {
    await finish(page);
  }
});

test('namespaces collapse into one box with aggregated arrows; external ranges are grouped', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'everything');
    await page.locator('[data-testid=graph-expand-all]').click();
    await settle(page, 300);
    const ranges = await graph(page).locator('g.node-external').count();
    assert.ok(ranges > 1, `everything has ${ranges} external ranges`);
    await page.locator('[data-testid=graph-collapse-all]').click();
    await settle(page, 300);
    assert.equal(await graph(page).locator('g.node-external').count(), 0, 'ranges are not grouped');
    assert.equal(await graph(page).locator('g.node[data-node="external:*"]').count(), 1);
    assert.equal(await graph(page).locator('g.node-workload').count(), 0);
    const counts = await graph(page).locator('g.edge').evaluateAll((gs) => gs.map((g) => Number(g.dataset.count)));
    const total = Number(await page.locator('[data-testid=graph-info]').getAttribute('data-connections'));
    assert.ok(counts.some((c) => c > 1), 'no aggregated arrow');
    // Every current connection is in some arrow, or inside a collapsed box (removed ones
    // may add more).
    const inside = await graph(page).locator('g.node[data-inside]').evaluateAll((gs) => gs.map((g) => Number(g.dataset.inside)));
    const shown = [...counts, ...inside].reduce((a, b) => a + b, 0);
    assert.ok(shown >= total, `${shown} connections in arrows and boxes, ${total} in all`);
    // Expanding one namespace by activating its box.
    const ns = graph(page).locator('g.node-namespace').first();
    const id = await ns.getAttribute('data-node');
    await ns.focus();
    await page.keyboard.press('Enter');
    await settle(page, 300);
    assert.equal(await graph(page).locator(`g.node[data-node="${id}"]`).count(), 0, 'Enter did not expand the namespace');
    assert.ok((await graph(page).locator('g.node-workload').count()) > 0);
  } finally {
    await finish(page);
  }
});

test('selecting a workload shows its neighbourhood only; "why (not)?" explains any pair', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'network-policies');
    await page.locator('[data-testid=graph-expand-all]').click();
    await settle(page, 300);
    const all = await graph(page).locator('g.node').count();
    await graph(page).locator('g.node[data-node="backend/api-v1[Deployment]"]').click();
    await settle(page, 300);
    assert.equal(await graph(page).getAttribute('data-focus'), 'backend/api-v1[Deployment]');
    const shown = await graph(page).locator('g.node').evaluateAll((gs) => gs.map((g) => g.dataset.node));
    assert.ok(shown.length < all, `the neighbourhood shows ${shown.length} of ${all}`);
    // Every shown peer is connected to the centre.
    const arrows = await graph(page).locator('g.edge').evaluateAll((gs) => gs.map((g) => [g.dataset.src, g.dataset.dst]));
    for (const id of shown.filter((s) => s !== 'backend/api-v1[Deployment]')) {
      assert.ok(arrows.some(([s, d]) => s === id || d === id), `${id} is shown without an arrow`);
    }
    assert.deepEqual(await page.evaluate(problems), []);
    // Why not: the database towards the frontend (no arrow between them).
    await page.locator('[data-testid=why-other]').selectOption('frontend/web[Deployment]');
    await page.locator('[data-testid=why-from]').click();
    const explain = page.locator('[data-testid=explain]');
    await explain.waitFor();
    assert.match(await explain.innerText(), /frontend\/web\[Deployment\] => backend\/api-v1\[Deployment\]/);
    await page.locator('[data-testid=graph-unfocus]').click();
    await settle(page, 300);
    assert.equal(await graph(page).getAttribute('data-focus'), null);
  } finally {
    await finish(page);
  }
});

test('the graph\'s connection count agrees with the status bar, also at 200 Deployments', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    const agree = async (what) => {
      const g = await page.locator('[data-testid=graph-info]').getAttribute('data-connections');
      const s = await status(page).getAttribute('data-connections');
      assert.equal(g, s, `${what}: the graph says ${g}, the status bar ${s}`);
      assert.match(await page.locator('[data-testid=graph-info]').innerText(), new RegExp(`^${s} connection`));
    };
    await agree('the shop');
    let text = '';
    for (let i = 0; i < 200; i++) {
      text += `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api-${i}, namespace: ns-${i % 8}}\nspec:\n  selector: {matchLabels: {app: api-${i}}}\n  template:\n    metadata: {labels: {app: api-${i}}}\n    spec: {containers: [{name: c, image: i}]}\n---\n`;
    }
    for (let n = 0; n < 8; n++) {
      text += `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: same-ns, namespace: ns-${n}}\nspec:\n  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]\n---\n`;
    }
    // Opened as a file: typing this much through the test driver takes longer than the app.
    const dir = await mkdtemp(path.join(tmpdir(), 'netplay-200-'));
    const file = path.join(dir, 'deployments.yaml');
    await writeFile(file, text);
    await page.locator('[data-testid=open-files] input[type=file]').setInputFiles(file);
    await page.waitForFunction(() => document.querySelector('[data-testid=status-counts]').innerText.includes('200 workloads') ||
      /(^|\s)2\d\d workloads/.test(document.querySelector('[data-testid=status-counts]').innerText), null, { timeout: 60_000 });
    await settle(page);
    await rm(dir, { recursive: true, force: true });
    // The shop's own workloads are in the scenario too: focus on the new namespaces.
    await page.locator('[data-testid=view-graph]').click();
    await settle(page);
    await agree('200 Deployments');
    // Opened collapsed: one box per namespace, readable.
    assert.ok((await graph(page).locator('g.node-namespace').count()) >= 8, 'not opened collapsed');
    assert.deepEqual(await page.evaluate(problems), []);
    await screenshot(page, 'graph-200');
  } finally {
    await finish(page);
  }
});
