// The Clusters view in a real browser: the library's multi-cluster scenario drawn as one
// box per cluster with the edges between them, and the resolve form answering with core's
// `MultiScenario::resolve` (the same as `netplay multicluster resolve`).
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/clusters.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, openApp, finish, settle, chooseScenario, screenshot } from './harness.mjs';

const app = useApp();

/** The endpoint table as [share, priority, cluster, workload] rows. */
async function endpoints(page) {
  return page.locator('[data-testid=clusters-endpoint]').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent)));
}

async function resolve(page, from, name, fail = '') {
  await page.locator('[data-testid=clusters-from]').selectOption(from);
  await page.locator('[data-testid=clusters-name]').fill(name);
  await page.locator('[data-testid=clusters-fail]').fill(fail);
  await page.locator('[data-testid=clusters-resolve]').click();
  await settle(page, 300);
}

test('the multi-cluster library: clusters side by side, MCS shares and failover', async () => {
  const page = await openApp(app.browser, app.url);
  await chooseScenario(page, 'multi-cluster');
  await page.keyboard.press('c');
  await page.locator('[data-testid=clusters-svg]').waitFor();
  for (const name of ['east', 'west', 'us', 'eu', 'paris', 'frankfurt']) {
    assert.equal(await page.locator(`[data-testid=cluster-${name}]`).count(), 1, name);
  }
  assert.ok((await page.locator('.cluster-edge.edge-mcs').count()) >= 1, 'an MCS export edge');
  assert.ok((await page.locator('.cluster-edge.edge-istio').count()) >= 1, 'an Istio edge');
  assert.ok((await page.locator('.cluster-gateway').count()) >= 2, 'the east-west gateways of us and eu');

  await resolve(page, 'west/store/storefront', 'catalog.store.svc.clusterset.local');
  assert.equal(await page.locator('[data-testid=clusters-summary]').textContent(), 'mcs · ClusterSetIP · reachable');
  const shares = (await endpoints(page)).map(([share, , cluster]) => `${cluster} ${share}`);
  assert.deepEqual(shares, ['east 66.7%', 'west 33.3%']);

  await resolve(page, 'west/store/storefront', 'catalog.store.svc.clusterset.local', 'east');
  assert.deepEqual((await endpoints(page)).map(([share, , cluster]) => `${cluster} ${share}`), ['west 100.0%', 'east 0.0%']);
  assert.equal(await page.locator('[data-testid=cluster-east].failed').count(), 1);

  await screenshot(page, 'clusters-view');
  await finish(page);
});

test('a single-cluster scenario says how to describe several', async () => {
  const page = await openApp(app.browser, app.url);
  await page.keyboard.press('c');
  await page.locator('[data-testid=clusters-empty]').waitFor();
  await finish(page);
});
