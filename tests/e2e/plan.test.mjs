// The Plan view in a real browser: the form writes the AddressPlan YAML (keeping the
// rest of the file as typed), the table and the address-space picture follow, overlaps
// are drawn and listed. Everything it shows is core's `Scenario::plan`.
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/plan.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SCENARIO, useApp, openApp, finish, settle, editorText, chooseScenario, openTab, screenshot,
} from './harness.mjs';

const app = useApp();

/** The plan table as a Map label -> value. */
async function table(page) {
  const rows = await page.locator('[data-testid=plan-table] tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td').textContent]));
  return new Map(rows);
}

async function setField(page, testid, value) {
  const input = page.locator(`[data-testid=${testid}]`);
  await input.fill(value);
  await input.dispatchEvent('change');
  await settle(page);
}

test('the library plan: its numbers, a clean picture, and the form rewrites only the field', async () => {
  const page = await openApp(app.browser, app.url);
  await chooseScenario(page, 'custom-cni');
  await page.keyboard.press('p');
  await page.locator('[data-testid=plan-table]').waitFor();
  let t = await table(page);
  assert.equal(t.get('pod MTU'), '1450');
  assert.equal(t.get('IPv4 max nodes'), '510');
  assert.equal(t.get('stack'), 'dual-stack (IPv4, IPv6)');
  assert.equal(await page.locator('[data-testid=plan-picture-IPv4] [data-testid=plan-bar]').count(), 6);
  assert.equal(await page.locator('[data-testid=plan-picture-IPv6] [data-testid=plan-bar]').count(), 2);
  assert.equal(await page.locator('[data-testid=plan-overlap]').count(), 0);
  // The built-in scenario has the shop's Services beside the plan: they say nothing about
  // families, which is an info (NP3012) in a dual-stack plan, never a warning.
  assert.equal(await page.locator('[data-testid=plan-diagnostics] li.sev-error, [data-testid=plan-diagnostics] li.sev-warning').count(), 0);
  assert.ok(await page.locator('[data-testid=plan-diagnostics] li[data-code=NP3012]').count() >= 1);

  // Pods moved into the VPC: the overlaps are drawn and listed, and the YAML says so.
  await setField(page, 'plan-pods', '10.0.0.0/16, fd00:10:244::/104');
  assert.ok(await page.locator('[data-testid=plan-overlap]').count() >= 2);
  const overlapping = await page.locator('[data-testid=plan-bar][data-overlaps=true]').evaluateAll((gs) =>
    gs.map((g) => g.getAttribute('data-cidr')));
  assert.ok(overlapping.includes('10.0.0.0/16') && overlapping.includes('10.0.0.0/23'), overlapping.join(' '));
  const codes = await page.locator('[data-testid=plan-diagnostics] li').evaluateAll((lis) =>
    lis.map((li) => li.getAttribute('data-code')));
  assert.ok(codes.includes('NP3002'), codes.join(' '));
  await page.locator('[data-testid=plan-picture-IPv4]').scrollIntoViewIfNeeded();
  await screenshot(page, 'plan-view');

  // A datapath from the select: WireGuard over IPv4 costs 60 bytes.
  await page.locator('[data-testid=plan-datapath]').selectOption('wireguard');
  await settle(page);
  t = await table(page);
  assert.equal(t.get('pod MTU'), '1440');

  await openTab(page, 'custom-cni/address-plan.yaml');
  const text = await editorText(page);
  assert.match(text, /\n {2}podCIDRs: \[10\.0\.0\.0\/16, fd00:10:244::\/104\]\n/);
  assert.match(text, /\n {2}datapath: wireguard\n/);
  // Everything else is as it was, comments included.
  assert.match(text, /# The CNI decides how node ranges are handed out/);
  assert.match(text, /- name: corporate VPN\n {6}cidr: 172\.16\.0\.0\/12/);
  await finish(page);
});

test('a scenario without a plan gets a starter plan from the Plan view', async () => {
  const page = await openApp(app.browser, app.url);
  await chooseScenario(page, DEFAULT_SCENARIO);
  await page.locator('[data-testid=view-plan]').click();
  await page.locator('[data-testid=plan-add]').click();
  await settle(page);
  await page.locator('[data-testid=plan-table]').waitFor();
  const t = await table(page);
  assert.equal(t.get('cni'), 'cilium');
  assert.equal(t.get('pod MTU'), '1450');
  assert.match(await editorText(page), /kind: AddressPlan/);
  await finish(page);
});
