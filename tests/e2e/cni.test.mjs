// Cilium and Calico policies in the playground (issue 16): the example shop written in
// each CNI's own policy language gives the connections the CLI's library test expects
// (tests/library/13-*/connlist.txt, derived by hand from the CNIs' docs), the Why? panel
// names the CNI's policies, tiers and layer 7 rules, and the editor's Cilium templates
// add a policy that changes the verdicts.
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/cni.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ROOT, useApp, openApp, openFixture, finish, settle, editorText, chooseScenario,
  showMatrix, cell, matrixCells, tabNames, activeTab, screenshot,
} from './harness.mjs';

const app = useApp();

/** The shop's own namespaces: the library scenario adds cluster components (CoreDNS, istiod,
 * ingress-nginx) that the built-in scenario does not hold, so only pairs of these count. */
const SHOP = new Set(['app', 'backend', 'database', 'frontend', 'monitoring']);
const inShop = (endpoint) => SHOP.has(endpoint.split('/')[0]);

/** The library test's expected lines between two shop workloads: "SRC => DST" -> CONN. */
async function expectedShop(dir) {
  const text = await readFile(path.join(ROOT, 'tests/library', dir, 'connlist.txt'), 'utf8');
  const map = new Map();
  for (const line of text.split('\n').filter((l) => l.trim())) {
    const m = /^(.*) => (.*) : (.*)$/.exec(line);
    assert.ok(m, `unexpected connlist line: ${line}`);
    if (inShop(m[1]) && inShop(m[2])) map.set(`${m[1]} => ${m[2]}`, m[3]);
  }
  return map;
}

async function explainCell(page, src, dst) {
  await cell(page, src, dst).click();
  const explain = page.locator('[data-testid=explain]');
  await explain.waitFor();
  await settle(page, 300);
  return explain.innerText();
}

for (const [scenario, dir, names] of [
  // frontend/web => backend/api-v1 is admitted by the clusterwide api-from-shop-namespaces
  // (manifests/cilium-policies/allow-specific-namespaces.yaml).
  ['cilium-policies', '13-cilium-policies', /CiliumClusterwideNetworkPolicy api-from-shop-namespaces/],
  ['calico-policies', '13-calico-policies', /Calico tier /],
]) {
  test(`${scenario}: the shop's verdicts match the library's, and Why? names the CNI's policies`, async () => {
    const page = await openApp(app.browser, app.url);
    try {
      await chooseScenario(page, scenario);
      const expected = await expectedShop(dir);
      assert.ok(expected.size >= 10, `only ${expected.size} shop lines in ${dir}`);
      await showMatrix(page);
      const cells = (await matrixCells(page)).filter((c) => c.src !== c.dst && inShop(c.src) && inShop(c.dst));
      assert.ok(cells.length > 0, 'the matrix has no shop cells');
      const seen = new Set();
      for (const c of cells) {
        const key = `${c.src} => ${c.dst}`;
        seen.add(key);
        assert.equal(c.conn, expected.get(key) ?? '', `matrix cell ${key}`);
      }
      for (const key of expected.keys()) assert.ok(seen.has(key), `the matrix has no cell for ${key}`);

      // An allowed pair: the ingress side names the policy that admits it.
      const allowed = await explainCell(page, 'frontend/web[Deployment]', 'backend/api-v1[Deployment]');
      assert.match(allowed, names, allowed);
      assert.match(allowed, /Verdict: allowed TCP 8080/, allowed);
      // A denied pair: the default deny of the backend's egress.
      const denied = await explainCell(page, 'backend/api-v1[Deployment]', 'frontend/web[Deployment]');
      assert.match(denied, /Verdict: no connection is allowed/, denied);
    } finally {
      await finish(page);
    }
  });
}

test('cilium-l7-http: Why? shows the layer 7 rules beside the port', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'cilium-l7-http');
    await showMatrix(page);
    const text = await explainCell(page, 'default/probe-droid[Pod]', 'default/deathstar[Deployment]');
    assert.match(text, /on TCP 80 only: POST \/v1\/request-landing \| GET \/path1\$/, text);
    assert.match(text, /Layer 7: TCP 80 is open only to the requests/, text);
    // The NetworkPolicy's layer 4 allow lifts them for the tiefighter.
    const lifted = await explainCell(page, 'default/tiefighter[Pod]', 'default/deathstar[Deployment]');
    assert.doesNotMatch(lifted, /Layer 7:/, lifted);
  } finally {
    await finish(page);
  }
});

test('cilium-l7-http: Why? checks an HTTP request against the layer 7 rules, as explain --http does', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'cilium-l7-http');
    await showMatrix(page);
    await page.locator('[data-testid=probe]').fill('TCP 80');
    await settle(page);
    await explainCell(page, 'default/probe-droid[Pod]', 'default/deathstar[Deployment]');
    const form = page.locator('[data-testid=http-check]');
    const ask = async (request) => {
      await form.locator('[data-testid=http-request]').fill(request);
      await form.locator('[data-testid=http-check-run]').click();
      const verdict = form.locator('[data-testid=http-verdict]');
      await verdict.waitFor();
      return { allowed: await verdict.getAttribute('data-allowed'), text: await verdict.innerText() };
    };
    // The Star Wars demo: landing is what rule1 allows; the exhaust port is refused (403).
    const landing = await ask('POST /v1/request-landing');
    assert.equal(landing.allowed, 'true', landing.text);
    assert.match(landing.text, /admitted by POST \/v1\/request-landing/, landing.text);
    const exhaust = await ask('PUT /v1/exhaust-port');
    assert.equal(exhaust.allowed, 'false', exhaust.text);
    assert.match(exhaust.text, /HTTP verdict: PUT \/v1\/exhaust-port is DENIED/, exhaust.text);
    await form.locator('[data-testid=http-verdict]').scrollIntoViewIfNeeded();
    await screenshot(page, 'cni-http-check');
  } finally {
    await finish(page);
  }
});

test('cilium-fqdn-destinations: toFQDNs names are external nodes, explained as undecidable', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'cilium-fqdn-destinations');
    await showMatrix(page);
    // tests/scenarios/cilium-fqdn-destinations/connlist.txt, derived from Cilium's docs.
    assert.equal(await cell(page, 'shop/web[Pod]', 'fqdn:api.github.com').getAttribute('data-conn'), 'TCP 443');
    assert.equal(await cell(page, 'shop/worker[Pod]', 'fqdn:api.example.com').getAttribute('data-conn'), 'TCP 443,8443');
    assert.equal(await cell(page, 'shop/batch[Pod]', 'fqdn:api.example.com').getAttribute('data-conn'), '');
    // A name is only ever a destination: the FQDNs are columns, not rows.
    const rows = await page.locator('table[data-testid=matrix] tbody th.row-head').evaluateAll((hs) => hs.map((h) => h.title));
    assert.deepEqual(rows.filter((r) => r.startsWith('fqdn:')), [], `rows: ${rows}`);
    assert.ok(rows.includes('shop/web[Pod]'), `rows: ${rows}`);
    const text = await explainCell(page, 'shop/worker[Pod]', 'fqdn:api.example.com');
    assert.match(text, /Undecidable offline: fqdn:api\.example\.com/, text);
    assert.match(text, /fqdn:\*\.example\.com/, text);
    await screenshot(page, 'cni-fqdn');
  } finally {
    await finish(page);
  }
});

test('a Cilium template adds a policy in a new file and the verdicts follow', async () => {
  const page = await openFixture(app.browser, app.url);
  try {
    await showMatrix(page);
    assert.equal(await cell(page, 'x/a[Pod]', 'y/b[Pod]').getAttribute('data-conn'), 'All Connections');
    const before = await tabNames(page);
    const menu = page.locator('select[data-testid=template-add]');
    const options = await menu.locator('option').evaluateAll((os) => os.map((o) => o.textContent.trim()));
    for (const t of ['Default deny', 'Allow within namespace', 'Allow from ingress', 'Allow to kube-dns', 'Allow to the API server']) {
      assert.ok(options.some((o) => o.endsWith(t)), `no template "${t}" in ${options}`);
    }
    await menu.selectOption('default-deny');
    await settle(page);
    const after = await tabNames(page);
    assert.equal(after.length, before.length + 1, `tabs ${after}`);
    const added = await activeTab(page);
    assert.match(added, /^cilium-default-deny-x\.yaml$/);
    const text = await editorText(page);
    assert.match(text, /kind: CiliumNetworkPolicy/);
    assert.match(text, /namespace: x\n/);
    // The pods of x are isolated both ways now: an empty rule allows nothing. Allow rules
    // still add up across policies (Cilium's and Kubernetes' alike), so the fixture's
    // NetworkPolicy a-from-y-80 still admits TCP 80 from y to x/a.
    await showMatrix(page);
    assert.equal(await cell(page, 'x/a[Pod]', 'y/b[Pod]').getAttribute('data-conn'), '');
    assert.equal(await cell(page, 'y/a[Pod]', 'x/c[Pod]').getAttribute('data-conn'), '');
    assert.equal(await cell(page, 'y/a[Pod]', 'x/a[Pod]').getAttribute('data-conn'), 'TCP 80');
    assert.equal(await cell(page, 'y/a[Pod]', 'y/b[Pod]').getAttribute('data-conn'), 'All Connections');
    // The menu goes back to its prompt, ready for the next template.
    assert.equal(await menu.inputValue(), '');
  } finally {
    await finish(page);
  }
});
