// Large scenarios in the page (issue 22.4): above 150 endpoints the matrix opens
// summarised by namespace, so switching to it draws a namespace × namespace table instead
// of every workload pair (at 200 workloads that was 40,401 cells and a 3.8 s freeze); a
// click on a cell shows that pair of namespaces' workloads, and "← All namespaces" goes
// back. The expected cells follow from the NetworkPolicy API reference by hand: the
// scenario below has twelve namespaces of eighteen Deployments and one policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, openApp, finish, settle, reload, editor, editorText, screenshot } from './harness.mjs';

const app = useApp();

const NAMESPACES = 12;
const PER_NAMESPACE = 18;
const ns = (i) => `team-${String(i).padStart(2, '0')}`;

/**
 * `namespaces` × `per` Deployments (12 × 18 = 216 by default), and in `guarded` (team-02)
 * a policy admitting team-01 on TCP 8080 only.
 */
function scenario(namespaces = NAMESPACES, per = PER_NAMESPACE, guarded = ns(2)) {
  const docs = [];
  for (let n = 1; n <= namespaces; n++) {
    docs.push(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns(n)}\n`);
    for (let a = 1; a <= per; a++) {
      const app = `app-${String(a).padStart(2, '0')}`;
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${ns(n)}
spec:
  selector:
    matchLabels: {app: ${app}}
  template:
    metadata:
      labels: {app: ${app}}
    spec:
      containers:
        - name: main
          image: nginx
          ports: [{containerPort: 8080}]
`);
    }
  }
  docs.push(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: only-team-01-on-8080
  namespace: ${guarded}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: team-01}
      ports:
        - {protocol: TCP, port: 8080}
`);
  return docs.join('---\n');
}

const summaryCell = (page, src, dst) =>
  page.locator(`td.group-cell[data-src-group="${src}"][data-dst-group="${dst}"]`);

/** A page whose tab holds only `text`, opened as `name`, evaluated. */
async function openScenario(page, name, text, connections) {
  // An empty tab: opened files are added to the work.
  await page.evaluate(() => {
    sessionStorage.removeItem('netplay.tab.history.v1');
    sessionStorage.setItem('netplay.tab.work.v1', JSON.stringify({ name: 'teams', files: [], active: 0 }));
  });
  await reload(page);
  await page.locator('[data-testid=open-files] input[type=file]').setInputFiles({
    name, mimeType: 'application/yaml', buffer: Buffer.from(text),
  });
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=status]').dataset.connections) > n, connections);
  await settle(page);
}

test('216 workloads: the matrix opens by namespace, a cell drills down to its workloads, and back', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await openScenario(page, 'teams.yaml', scenario(), 40_000);
    // The checkpoint: later changes are marked against this.
    await page.locator('[data-testid=accept-diff]').click();
    await settle(page, 300);

    const started = Date.now();
    await page.locator('[data-testid=view-matrix]').click();
    await page.locator('table[data-testid=matrix][data-summary=true]').waitFor();
    console.log(`matrix by namespace shown ${Date.now() - started} ms after the click (216 workloads)`);
    const drawn = await page.locator('table[data-testid=matrix] td').count();
    // 13 source groups (12 namespaces and the outside) × 13 destination groups.
    assert.equal(drawn, 13 * 13, 'one cell per pair of namespaces, not per pair of workloads');

    // team-01 reaches every workload of team-02, on TCP 8080 only (the policy's one rule).
    const admitted = summaryCell(page, 'team-01', 'team-02');
    assert.equal(await admitted.getAttribute('data-pairs'), String(PER_NAMESPACE * PER_NAMESPACE));
    assert.equal(await admitted.getAttribute('data-conn'), 'TCP 8080');
    assert.match(await admitted.innerText(), /324\/324 · TCP 8080/);
    // team-02's pods are isolated for ingress: nothing else reaches them, not even each other.
    for (const src of ['team-03', 'team-02', 'outside the cluster']) {
      assert.equal(await summaryCell(page, src, 'team-02').getAttribute('data-pairs'), '0', `${src} => team-02`);
    }
    // Elsewhere nothing is isolated: every pair connects on every port; within a namespace
    // a workload is never paired with itself (18 × 17 pairs).
    const open = summaryCell(page, 'team-03', 'team-03');
    assert.equal(await open.getAttribute('data-pairs'), String(PER_NAMESPACE * (PER_NAMESPACE - 1)));
    assert.equal(await open.getAttribute('data-conn'), 'All Connections');
    assert.match(await open.innerText(), /^306\/306 · All$/);
    assert.equal(await summaryCell(page, 'team-01', 'outside the cluster').getAttribute('data-pairs'), String(PER_NAMESPACE));
    assert.equal(await page.locator('td.group-cell.diff-changed').count(), 0, 'nothing changed since the checkpoint');

    // The policy's port changes: only its cell changes, all 324 pairs of it. The file is
    // long (3,700 lines, shown through a window of its lines): the edited text is pasted
    // over all of it (editorText leaves it selected).
    const text = await editorText(page);
    await editor(page).evaluate((t, text) => {
      t.value = text.replace('{protocol: TCP, port: 8080}', '{protocol: TCP, port: 9090}');
      t.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
    }, text);
    await page.waitForFunction(() => document.querySelector('td.group-cell[data-src-group="team-01"][data-dst-group="team-02"]')?.dataset.conn === 'TCP 9090');
    assert.match(await admitted.innerText(), /^~ 324\/324 · TCP 9090$/);
    assert.match(await admitted.getAttribute('title'), /324 changed since the checkpoint/);
    assert.equal(await page.locator('td.group-cell.diff-changed').count(), 1, 'the other cells did not change');
    await screenshot(page, 'matrix-by-namespace');

    // Drill down: team-01's workloads as sources, team-02's as destinations.
    await admitted.click();
    await page.locator('table[data-testid=matrix][data-summary=false]').waitFor();
    assert.equal(await page.locator('[data-testid=matrix-drilled]').innerText(), 'from team-01 to team-02');
    assert.match(await page.locator('[data-testid=matrix-size]').innerText(), /^18 sources × 18 destinations/);
    const pair = page.locator('td.cell[data-src="team-01/app-03[Deployment]"][data-dst="team-02/app-07[Deployment]"]');
    assert.equal(await pair.getAttribute('data-conn'), 'TCP 9090');
    await screenshot(page, 'matrix-drilled-down');

    // Back to the summary; "Every workload" shows the whole (virtualised) matrix.
    await page.locator('[data-testid=matrix-summary]').click();
    await page.locator('table[data-testid=matrix][data-summary=true]').waitFor();
    await page.locator('[data-testid=matrix-every]').click();
    await page.locator('table[data-testid=matrix][data-virtual=true][data-summary=false]').waitFor();
    const inView = await page.locator('table[data-testid=matrix] td').count();
    assert.ok(inView < 2_000, `the whole matrix draws only what is in view (${inView} cells drawn)`);
    assert.match(await page.locator('[data-testid=matrix-size]').innerText(), /^217 sources × 217 destinations/);
    // Arrow keys go past the window's edge: 25 columns right and 20 rows down of the
    // first row's second cell (18 workloads per namespace, in order; a workload's cell
    // with itself takes no focus).
    await page.locator('td.cell[data-src="team-01/app-01[Deployment]"][data-dst="team-01/app-02[Deployment]"]').focus();
    for (let i = 0; i < 25; i++) await page.keyboard.press('ArrowRight');
    for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.activeElement?.dataset.src === 'team-02/app-03[Deployment]', null, { timeout: 5_000 })
      .catch(() => {});
    assert.deepEqual(
      await page.evaluate(() => [document.activeElement?.dataset.src, document.activeElement?.dataset.dst]),
      ['team-02/app-03[Deployment]', 'team-02/app-09[Deployment]'],
    );
    await page.locator('[data-testid=matrix-summary]').click();
    await page.locator('table[data-testid=matrix][data-summary=true]').waitFor();

    // The graph opens with one box per namespace; an arrow between two says how many
    // connections it stands for and which ports some of them use.
    await page.locator('[data-testid=view-graph]').click();
    const arrow = page.locator('g.edge-aggregate[data-src="namespace:team-01"][data-dst="namespace:team-02"]');
    await arrow.waitFor();
    assert.equal(await arrow.getAttribute('data-count'), '324');
    assert.match(await arrow.locator('title').textContent(), /^324 · TCP 9090: 324 connections from namespace team-01\b.* to namespace team-02\b/);
    await screenshot(page, 'graph-by-namespace');
  } finally {
    await finish(page);
  }
});

test('40 namespaces: the summary draws only the cells in view, and scrolling brings the others', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    // 40 × 5 = 200 Deployments; team-40, the last column, admits team-01 on TCP 8080 only.
    await openScenario(page, 'teams.yaml', scenario(40, 5, ns(40)), 30_000);
    await page.locator('[data-testid=view-matrix]').click();
    const table = page.locator('table[data-testid=matrix][data-summary=true][data-virtual=true]');
    await table.waitFor();
    const drawn = await page.locator('table[data-testid=matrix] td').count();
    assert.ok(drawn < 41 * 41 / 2, `${drawn} of 41 × 41 cells drawn`);
    assert.equal(await summaryCell(page, 'team-01', 'team-40').count(), 0, 'the last column is out of view');

    // Scrolled to the right end and the bottom: the last column and row are drawn.
    await page.locator('.matrix-scroll').evaluate((s) => s.scrollTo(s.scrollWidth, s.scrollHeight));
    const admitted = summaryCell(page, 'team-01', 'team-40');
    await page.locator('.matrix-scroll').evaluate((s) => s.scrollTo(s.scrollWidth, 0));
    await admitted.waitFor();
    // Every pair from team-01 to team-40 (5 × 5), on TCP 8080 only.
    assert.equal(await admitted.getAttribute('data-pairs'), '25');
    assert.match(await admitted.innerText(), /\b25\/25 · TCP 8080$/);
    await page.locator('.matrix-scroll').evaluate((s) => s.scrollTo(s.scrollWidth, s.scrollHeight));
    const isolated = summaryCell(page, 'outside the cluster', 'team-40');
    await isolated.waitFor();
    assert.equal(await isolated.getAttribute('data-pairs'), '0', 'team-40 is isolated for ingress');
    assert.equal(await summaryCell(page, 'team-39', 'team-39').getAttribute('data-pairs'), String(5 * 4));
    await screenshot(page, 'matrix-summary-scrolled');

    // The keyboard reaches every cell: arrow keys past the window's edge move it.
    await page.locator('.matrix-scroll').evaluate((s) => s.scrollTo(0, 0));
    await summaryCell(page, 'team-01', 'team-01').focus();
    const focused = () => page.evaluate(() => [document.activeElement?.dataset.srcGroup, document.activeElement?.dataset.dstGroup]);
    const press = async (key, expected) => {
      await page.keyboard.press(key);
      await page.waitForFunction(
        ([s, d]) => document.activeElement?.dataset.srcGroup === s && document.activeElement?.dataset.dstGroup === d,
        expected,
        { timeout: 5_000 },
      ).catch(async () => assert.fail(`after ${key}: focus on ${await focused()}, not ${expected}`));
    };
    for (let n = 2; n <= 40; n++) await press('ArrowRight', ['team-01', ns(n)]);
    await press('ArrowRight', ['team-01', 'outside the cluster']);
    for (let n = 2; n <= 40; n++) await press('ArrowDown', [ns(n), 'outside the cluster']);
    await press('ArrowDown', ['outside the cluster', 'outside the cluster']);
    await press('ArrowLeft', ['outside the cluster', ns(40)]);
    for (let n = 40; n >= 1; n--) await press('ArrowUp', [ns(n), ns(40)]);
    // Enter on the reached cell drills down to its two namespaces' workloads.
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('[data-testid=matrix-drilled]').innerText(), 'from team-01 to team-40');
  } finally {
    await finish(page);
  }
});
