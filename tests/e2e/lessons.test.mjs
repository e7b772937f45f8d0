// The Lessons view (issue 17.5): a learner picks a built-in lesson, edits YAML beside the
// task until its checks turn green, moves through the steps with hints, reloads and finds
// the progress, and ends on a summary. The policies below are written as a learner would
// (from the Kubernetes NetworkPolicy reference), not copied from the lesson's solution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useApp, openApp, finish, settle, reload, editor, editorText, setEditorText, tabNames, openTab, screenshot,
} from './harness.mjs';

const app = useApp();

const LESSON = 'allow-from-one-namespace';

/** Step 1: the API in `backend` admits the namespace `storefront` (by its name label) on 8080. */
const BY_NAME = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-storefront
  namespace: backend
spec:
  podSelector:
    matchLabels: {app: api}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: storefront}
      ports:
        - {protocol: TCP, port: 8080}
`;

/** The checks of the step on screen: [{ name, passed }]. */
function checks(page) {
  return page
    .locator('[data-testid=lesson-check]')
    .evaluateAll((els) => els.map((e) => ({ name: e.querySelector('.check-name').textContent, passed: e.dataset.passed === 'true' })));
}

async function stepNumber(page) {
  return Number(await page.locator('[data-testid=lesson-step]').getAttribute('data-step'));
}

test('issue 17.5: a learner completes a lesson by editing YAML, checks turn green, progress survives a reload', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await page.locator('[data-testid=view-lessons]').click();
    const cards = page.locator('[data-testid=lesson-card]');
    // The lessons are fetched when the list is first shown (docs/performance.md, "The download").
    await cards.first().waitFor();
    assert.ok((await cards.count()) >= 14, 'the built-in lessons are listed');
    await page.locator(`[data-testid=lesson-card][data-lesson=${LESSON}] [data-testid=lesson-start]`).click();
    await settle(page);
    assert.equal(await page.locator('[data-testid=lesson-title]').textContent(), 'Allow traffic from one namespace');
    assert.equal(await stepNumber(page), 1);
    // The start: the default deny keeps the storefront out, so a check fails and says why.
    let seen = await checks(page);
    assert.ok(seen.length >= 2, JSON.stringify(seen));
    assert.ok(seen.some((c) => !c.passed), 'the start fails a check of step 1');
    assert.ok((await page.locator('[data-testid=lesson-check-why]').first().textContent()).includes('expected'));
    assert.equal(await page.locator('[data-testid=lesson-next]').isDisabled(), true, 'no moving on while a check fails');
    // The editor holds the lesson's starting files.
    assert.deepEqual(await tabNames(page), ['namespaces.yaml', 'workloads.yaml']);

    // Hints, one at a time.
    assert.equal(await page.locator('[data-testid=lesson-hint]').count(), 0);
    await page.locator('[data-testid=lesson-hint-next]').click();
    assert.equal(await page.locator('[data-testid=lesson-hint]').count(), 1);

    // Edit: a new file with the policy. The checks turn green as the text is evaluated.
    await page.locator('[data-testid=tab-add]').click();
    await setEditorText(page, BY_NAME);
    seen = await checks(page);
    assert.ok(seen.every((c) => c.passed), JSON.stringify(seen));
    assert.equal(await page.locator('[data-testid=lesson-check-why]').count(), 0);
    await page.locator('[data-testid=lesson-next]').click();
    await settle(page, 300);
    assert.equal(await stepNumber(page), 2);
    // Step 2 admits the canary namespace too: the policy by name is not enough.
    seen = await checks(page);
    assert.ok(seen.some((c) => !c.passed), JSON.stringify(seen));

    // A reload keeps the lesson, the step and the learner's file.
    await reload(page);
    await page.locator('[data-testid=lesson-step]').waitFor();
    assert.equal(await stepNumber(page), 2, 'the step survives a reload');
    assert.ok((await tabNames(page)).includes('new.yaml'), 'the learner file survives a reload');

    // "Reset this step" puts back the step's start, and the learner's text stays in Undo.
    await openTab(page, 'new.yaml');
    await setEditorText(page, BY_NAME.replace('port: 8080', 'port: 9999'));
    await page.locator('[data-testid=lesson-reset]').click();
    await settle(page);
    await openTab(page, 'new.yaml');
    assert.equal(await editorText(page), BY_NAME, 'the step starts again from the end of step 1');
    await page.locator('[data-testid=undo]').click();
    await settle(page);
    await openTab(page, 'new.yaml');
    assert.ok((await editorText(page)).includes('port: 9999'), 'the text before the reset is one undo away');
    await page.locator('[data-testid=redo]').click();
    await settle(page);

    // Step 2: select the team's namespaces by their label.
    await openTab(page, 'new.yaml');
    await setEditorText(page, BY_NAME.replace('{kubernetes.io/metadata.name: storefront}', '{team: storefront}'));
    seen = await checks(page);
    assert.ok(seen.every((c) => c.passed), JSON.stringify(seen));
    await page.locator('[data-testid=lesson-next]').click();
    await settle(page, 300);
    const summary = page.locator('[data-testid=lesson-summary]');
    await summary.waitFor();
    assert.ok((await summary.textContent()).includes('Lesson complete'));

    // The list shows the lesson as done, also after a reload.
    await page.locator('[data-testid=lesson-more]').click();
    await reload(page);
    await page.locator('[data-testid=view-lessons]').click();
    const card = page.locator(`[data-testid=lesson-card][data-lesson=${LESSON}]`);
    await card.waitFor();
    assert.equal(await card.getAttribute('data-completed'), '2');
    assert.ok((await card.textContent()).includes('done ✓'));
    await screenshot(page, 'lessons-list');
  } finally {
    await finish(page);
  }
});

test('a lesson link opens its lesson; a bad lesson link says so and keeps the work', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await page.goto(`${app.url}#lesson=default-deny-dns`);
    await page.locator('[data-testid=lesson-step]').waitFor();
    await settle(page);
    assert.equal(await stepNumber(page), 1);
    assert.ok((await checks(page)).some((c) => !c.passed));
    await screenshot(page, 'lesson-step');
    const before = await editorText(page);
    await page.evaluate(() => { window.location.hash = '#lesson=no-such-lesson'; });
    await page.locator('[data-testid=message].error').waitFor();
    assert.equal(await editorText(page), before, 'the work is unchanged');
    assert.equal(await editor(page).count(), 1);
  } finally {
    await finish(page);
  }
});

// The lessons are static files the page fetches (they are not in the download). When the
// server cannot give them, nothing the learner wrote is lost: the work opens as it was,
// an error says why the lesson is not shown, and the list can try again.
test('lessons that cannot be fetched: the work stays, the page says why, and "Try again" fetches them', async () => {
  const page = await openApp(app.browser, app.url);
  const failing = (route) => route.fulfill({ status: 503, body: 'unavailable' });
  try {
    await page.goto(`${app.url}#lesson=${LESSON}`);
    await page.locator('[data-testid=lesson-step]').waitFor();
    await page.locator('[data-testid=tab-add]').click();
    await setEditorText(page, BY_NAME);
    await settle(page);

    await page.route('**/builtin/lessons/**', failing);
    await reload(page);
    assert.ok((await tabNames(page)).includes('new.yaml'), "the learner's file is back after the reload");
    const message = page.locator('[data-testid=message].error');
    await message.waitFor();
    assert.match(await message.textContent(), /could not be fetched.*HTTP 503.*Your work is unchanged/s);

    await page.locator('[data-testid=view-lessons]').click();
    await page.locator('[data-testid=lessons-failed]').waitFor();
    await screenshot(page, 'lessons-fetch-failed');
    await page.unroute('**/builtin/lessons/**', failing);
    await page.locator('[data-testid=lessons-retry]').click();
    const card = page.locator(`[data-testid=lesson-card][data-lesson=${LESSON}]`);
    await card.waitFor();
    assert.equal(await card.locator('[data-testid=lesson-start]').textContent(), 'Continue', 'the saved progress is kept');
    await card.locator('[data-testid=lesson-start]').click();
    await page.locator('[data-testid=lesson-step]').waitFor();
    assert.ok((await tabNames(page)).includes('new.yaml'), 'the lesson continues with the learner\'s files');
  } finally {
    // The refused fetches were the point of the test.
    page.problems = page.problems.filter((p) => !p.includes('/builtin/lessons/') && !p.includes('status of 503'));
    await finish(page);
  }
});
