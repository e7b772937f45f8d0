// Accessibility: axe-core (npm, run inside the page) checks every view, the dialogs, the
// explanation and the dark theme against WCAG 2.0/2.1/2.2 A and AA. No violations.
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/a11y.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { useApp, openApp, finish, settle, chooseScenario, showMatrix, cell } from './harness.mjs';

const require = createRequire(import.meta.url);
let axeSource;

const app = useApp({
  setup: async () => {
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  },
});

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Runs axe-core on the page; returns the violations as readable lines. */
async function violations(page, what) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('')}`),
      count: v.nodes.length,
    }));
  }, TAGS);
  return result.map((v) => `${what}: ${v.id} (${v.help}) ×${v.count}: ${v.nodes.join(' | ')}`);
}

test('axe-core finds no WCAG 2.2 AA violation in any view, dialog or theme', async () => {
  const page = await openApp(app.browser, app.url);
  const found = [];
  try {
    found.push(...(await violations(page, 'graph, first screen')));
    await showMatrix(page);
    found.push(...(await violations(page, 'matrix')));
    await chooseScenario(page, 'np-named-port-ingress');
    await page.locator('[data-testid=probe]').fill('TCP 8080');
    await cell(page, 'shop/web[Pod]', 'shop/api[Deployment]').click();
    await page.locator('[data-testid=explain]').waitFor();
    found.push(...(await violations(page, 'matrix with probe and explanation')));
    await page.locator('[data-testid=probe]').fill('foo');
    await settle(page, 200);
    found.push(...(await violations(page, 'invalid probe')));
    await page.locator('[data-testid=probe]').fill('');
    await page.keyboard.press('Escape');
    await chooseScenario(page, 'mesh/bookinfo-weighted-90-10');
    await page.locator('[data-testid=view-mesh]').click();
    await page.locator('[data-testid=mesh-example]').first().click();
    await settle(page, 300);
    found.push(...(await violations(page, 'mesh')));
    await chooseScenario(page, 'multi-cluster');
    await page.locator('[data-testid=view-clusters]').click();
    await settle(page, 300);
    found.push(...(await violations(page, 'clusters')));
    await chooseScenario(page, 'custom-cni');
    await page.locator('[data-testid=view-plan]').click();
    await settle(page, 300);
    found.push(...(await violations(page, 'plan')));
    await page.locator('[data-testid=view-lessons]').click();
    await page.locator('[data-testid=lesson-card]').first().waitFor();
    await settle(page, 300);
    found.push(...(await violations(page, 'lesson list')));
    await page.locator('[data-testid=lesson-card][data-lesson=protect-the-database] [data-testid=lesson-start]').click();
    await settle(page);
    await page.locator('[data-testid=lesson-hint-next]').click();
    await settle(page, 300);
    found.push(...(await violations(page, 'lesson step with failing checks and a hint')));
    await page.locator('[data-testid=view-graph]').click();
    await page.locator('[data-testid=help]').click();
    found.push(...(await violations(page, 'help dialog')));
    await page.locator('[data-testid=history]').click();
    found.push(...(await violations(page, 'history dialog')));
    await page.keyboard.press('Escape');
    await chooseScenario(page, 'everything');
    await page.locator('[data-testid=problems-summary]').click();
    await page.locator('[data-testid=about] summary').click();
    found.push(...(await violations(page, 'problems and about')));
    await page.locator('[data-testid=theme]').click();
    await settle(page, 300);
    found.push(...(await violations(page, 'dark theme, graph')));
    await showMatrix(page);
    found.push(...(await violations(page, 'dark theme, matrix')));
    assert.deepEqual(found, []);
  } finally {
    await finish(page);
  }
});
