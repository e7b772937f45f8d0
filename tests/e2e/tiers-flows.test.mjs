// The admin tiers and observed traffic in a real browser: the shop with the admin
// guardrails of manifests/admin-policies/ shows which tier decides each arrow and cell,
// and the Why? panel walks the tiers as core's explanation does; a flow file dropped on
// the page is replayed (allowed / would be blocked), drawn over the graph and marked in
// the matrix, and "Generate policies" opens core's least-privilege policies as new tabs,
// after which every observed flow is allowed.
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/tiers-flows.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ROOT, DEFAULT_SCENARIO, useApp, openApp, finish, settle, chooseScenario, showMatrix, tabNames,
  screenshot, openTab, editor,
} from './harness.mjs';

const app = useApp();

async function open(page, file) {
  await page.locator('[data-testid=open-files] input[type=file]').setInputFiles(file);
  await settle(page);
}

test('the admin guardrails: tier marks on arrows and cells, the tier walk in Why?', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, DEFAULT_SCENARIO);
    // Before: no admin policy, no marks and no legend.
    assert.equal(await page.locator('[data-testid=tier-legend]').count(), 0);
    await open(page, path.join(ROOT, 'manifests/admin-policies/v1alpha1/guardrails.yaml'));
    assert.ok((await tabNames(page)).includes('guardrails.yaml'));
    // The hint bar knows the admin kinds' fields: `priority` of an AdminNetworkPolicy.
    await openTab(page, 'guardrails.yaml');
    await editor(page).evaluate((t) => {
      const at = t.value.indexOf('  priority:');
      t.focus();
      t.setSelectionRange(at + 4, at + 4);
    });
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => /lower first/.test(document.querySelector('[data-testid=hint]')?.innerText ?? ''));
    assert.match(await page.locator('[data-testid=hint]').innerText(), /priority/);
    await page.locator('[data-testid=view-graph]').click();
    await page.locator('[data-testid=tier-legend]').waitFor();
    // Monitoring reaches every pod through the Admin tier (manifests/admin-policies/README.md).
    const marked = await page.locator('g.edge[data-tiers]').evaluateAll((gs) =>
      gs.map((g) => [g.getAttribute('data-src'), g.getAttribute('data-dst'), g.getAttribute('data-tiers')]));
    assert.ok(marked.length > 0, 'no arrow marked with its tier');
    assert.ok(marked.every(([, , t]) => t.split(' ').some((x) => x === 'Admin' || x === 'Baseline')), JSON.stringify(marked));
    assert.ok(marked.some(([s, , t]) => s.startsWith('monitoring/') && t.includes('Admin')), JSON.stringify(marked));
    await screenshot(page, 'tiers-graph');

    await showMatrix(page);
    const cells = await page.locator('td.cell[data-tiers]').evaluateAll((tds) =>
      tds.map((td) => [td.dataset.src, td.dataset.dst, td.dataset.tiers]));
    assert.ok(cells.length > 0, 'no matrix cell marked with its tier');
    // A pod of backend, whose NetworkPolicy default-deny-all isolates it: the Admin Allow
    // still decides, and the panel must say so rather than blame the isolation.
    const [src, dst] = cells.find(([s, d]) => s.startsWith('monitoring/') && d.startsWith('backend/'))
      ?? cells.find(([s]) => s.startsWith('monitoring/'));
    await page.locator(`td.cell[data-src="${src}"][data-dst="${dst}"]`).click();
    const why = page.locator('[data-testid=explain]');
    await why.waitFor();
    // Each side's walk, step by step, as core's trace gives it (egress first, then
    // ingress): manifests/admin-policies says monitoring's egress is allowed by
    // `monitoring-egress` (priority 11) and every pod's ingress from monitoring by
    // `allow-monitoring` (priority 10, rule `from-monitoring`), both in the Admin tier.
    const walks = why.locator('[data-testid=tier-walk]');
    assert.equal(await walks.count(), 2);
    const egress = await walks.nth(0).locator('li').allInnerTexts();
    const ingress = await walks.nth(1).locator('li').allInnerTexts();
    assert.match(egress[0], /^Admin \[Admin anp\/monitoring-egress priority 11, egress rule "[^"]+" line \d+\] Allow/);
    assert.match(egress[egress.length - 1], /egress allows/);
    assert.match(ingress[0], /^Admin \[Admin anp\/allow-monitoring priority 10, ingress rule "from-monitoring" line \d+\] Allow/);
    assert.match(ingress[ingress.length - 1], /ingress allows/);
    assert.ok(await why.locator('[data-testid=tier-rule]').count() >= 1);
    // An Admin Allow is final (the Network Policy API: later tiers are not consulted for
    // what it took): `to-every-pod` allows all of monitoring's egress, so no later step
    // refuses anything and the side is not drawn as a refusal.
    const egressSide = why.locator('section.side').nth(0);
    assert.match(await egressSide.locator('.side-total').innerText(), /egress allows: All Connections/);
    assert.equal(await egressSide.locator('p.bad').count(), 0, 'egress allowed by an Admin Allow is drawn as a refusal');
    for (const step of [...egress, ...ingress]) {
      assert.doesNotMatch(step, /no rule admits$/, `a step after the deciding Admin Allow refuses: ${egress.join(' | ')}`);
    }
    // Core's explanation names what decided each side: the Admin rule (tier, object, rule,
    // line) that took everything. The NetworkPolicy isolation nothing reached is shown as
    // not reached in the walk, never listed as "Isolated by".
    for (const k of [0, 1]) {
      const summary = await why.locator('section.side').nth(k).locator('p').first().innerText();
      assert.match(summary,
        /decided before the NetworkPolicy tier, by \[Admin anp\/[a-z-]+ priority \d+, (egress|ingress) rule "[^"]+" line \d+\] Allow All Connections/);
    }
    assert.equal(await why.locator('[data-testid=isolated-by]').count(), 0, 'NetworkPolicy isolation listed as the reason');
    if (dst.startsWith('backend/')) {
      assert.ok(ingress.some((step) => /^NetworkPolicy \[NetworkPolicy [^\]]*backend\/default-deny-all[^\]]*\] not reached/.test(step)),
        ingress.join(' | '));
    }
    await screenshot(page, 'tiers-why');
  } finally {
    await finish(page);
  }
});

test('a flow file: replayed, drawn over the graph, marked in the matrix; Generate policies opens them', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, DEFAULT_SCENARIO);
    const before = await tabNames(page);
    await open(page, path.join(ROOT, 'tests/flows/shop/flows.csv'));
    // A flow file is traffic, not a manifest: no new tab, the Flows panel instead.
    assert.deepEqual(await tabNames(page), before);
    const panel = page.locator('[data-testid=flows]');
    await panel.waitFor();
    const rows = await panel.locator('[data-testid=flow-row]').evaluateAll((lis) =>
      lis.map((li) => [li.innerText, li.dataset.allowed]));
    assert.ok(rows.length >= 5, JSON.stringify(rows));
    assert.ok(rows.some(([, a]) => a === 'false'), 'the shop blocks some observed flow');
    assert.ok(rows.some(([, a]) => a === 'true'));
    await page.locator('[data-testid=view-graph]').click();
    await settle(page);
    const lines = await page.locator('[data-testid=flow-overlay] line').evaluateAll((ls) =>
      ls.map((l) => l.getAttribute('data-allowed')));
    assert.ok(lines.includes('true'), 'no allowed flow drawn');
    await screenshot(page, 'flows-graph');
    await showMatrix(page);
    assert.ok(await page.locator('td.cell[data-observed=allowed]').count() >= 1);

    await panel.locator('[data-testid=flows-generate]').click();
    await settle(page);
    const tabs = await tabNames(page);
    const generated = tabs.filter((t) => t.startsWith('generated/'));
    assert.ok(generated.length >= 3, JSON.stringify(tabs));
    // With the generated policies beside the shop's, every observed flow is allowed.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=flow-row]')].every((li) => li.dataset.allowed === 'true'));
    assert.match(await panel.locator('[data-testid=flows-verdicts]').innerText(), /0 would be blocked/);
    await screenshot(page, 'flows-generated');
  } finally {
    await finish(page);
  }
});

test('the exposure switch lists what pods not in the scenario could reach, as core says', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, DEFAULT_SCENARIO);
    await page.locator('[data-testid=view-graph]').click();
    const toggle = page.locator('[data-testid=exposure-toggle]');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    const panel = page.locator('[data-testid=exposure]');
    await panel.waitFor();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    const rows = await panel.locator('[data-testid=exposure-row] code').allInnerTexts();
    assert.ok(rows.length >= 1, 'no exposure line');
    // Every line names a peer that may not exist yet, in braces, as connlist --exposure does.
    assert.ok(rows.every((r) => /^(\{[^}]+\} => \S+|\S+ => \{[^}]+\}) : .+$/.test(r)), JSON.stringify(rows));
    await screenshot(page, 'exposure');
    await toggle.click();
    assert.equal(await panel.count(), 0);
  } finally {
    await finish(page);
  }
});
