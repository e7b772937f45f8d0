// Never lose work: tabs do not overwrite each other, share links pasted into an open tab
// are opened (and undoable), a reload keeps undo and the checkpoint, every replacing
// action keeps the work as a version, versions survive a reload, and a browser that
// refuses to store anything says so.
//
//   trunk build --release --config trunk.toml && node --test tests/e2e/work.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SCENARIO, useApp, openApp, openPage, finish, assertClean, settle, reload, waitReadyApp,
  editor, editorText, setEditorText, chooseScenario, openTab, shareLink,
} from './harness.mjs';

const app = useApp();

/** A share link of a built-in scenario, made in a browser of its own. */
async function linkOf(scenario) {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, scenario);
    return await shareLink(page);
  } finally {
    await finish(page);
  }
}

/** Types a marker line at the top of the editor's file and waits until it is saved. */
async function mark(page, marker) {
  const text = `# ${marker}\n${await editorText(page)}`;
  await setEditorText(page, text);
  await page.waitForFunction((m) => Object.values(sessionStorage).some((v) => v.includes(m)), marker);
  return text;
}

async function selectValue(page) {
  return page.locator('[data-testid=scenario-select]').inputValue();
}

test('a share link opened in a second tab leaves the first tab\'s work alone', async () => {
  const link = await linkOf('np-deny-all-ingress');
  const first = await openApp(app.browser, app.url);
  let second;
  try {
    const mine = await mark(first, 'my work in the first tab');
    second = await openPage(first.context(), link);
    assert.match(await second.locator('[data-testid=message]').innerText(), /share link/i);
    assert.equal(await selectValue(second), '', 'the second tab shows the shared scenario');
    // The first tab, reloaded, still has its own work.
    await reload(first);
    assert.equal(await editorText(first), mine, 'the share link overwrote the first tab\'s work');
    // And its work is kept as a version, which the second tab can open too.
    await second.locator('[data-testid=history]').click();
    const other = second.locator(`[data-testid=other-scenario][data-name="${DEFAULT_SCENARIO}"]`);
    await other.waitFor();
    await other.locator('[data-testid=other-restore]').click();
    await settle(second);
    assert.equal(await editorText(second), mine);
  } finally {
    // Both pages share one context: check the second, then finish closes the context.
    if (second) await assertClean(second);
    await finish(first);
  }
});

test('a share link pasted into an open tab opens at once, and Undo brings the work back', async () => {
  const link = await linkOf('np-deny-all-ingress');
  const page = await openApp(app.browser, app.url);
  try {
    const mine = await mark(page, 'work before the link');
    await page.evaluate((hash) => {
      location.hash = hash;
    }, new URL(link).hash);
    await page.waitForFunction(() => document.querySelector('[data-testid=message]')?.textContent.includes('share link'));
    await settle(page);
    assert.equal(await selectValue(page), '', 'the shared scenario is shown');
    assert.match(await page.locator('[data-testid=message]').innerText(), /Undo/);
    assert.equal(new URL(page.url()).hash, '', 'the link stays in the address bar');
    await page.locator('[data-testid=undo]').click();
    await settle(page);
    assert.equal(await editorText(page), mine, 'Undo did not bring the work back');
  } finally {
    await finish(page);
  }
});

test('a reload keeps the undo history and the "since checkpoint" baseline', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    await chooseScenario(page, 'np-deny-all-ingress');
    await openTab(page, 'policy.yaml');
    const original = await editorText(page);
    await setEditorText(page, original.replace(/policyTypes:\n {4}- Ingress\n/, 'policyTypes:\n    - Egress\n'));
    const summary = page.locator('[data-testid=diff-summary]');
    assert.equal((await summary.innerText()).trim(), '+4 −4 ~0 since checkpoint');
    await reload(page);
    assert.equal((await summary.innerText()).trim(), '+4 −4 ~0 since checkpoint', 'the checkpoint was lost');
    assert.ok(await page.locator('[data-testid=undo]').isEnabled(), 'undo history was lost');
    await page.locator('[data-testid=undo]').click();
    await settle(page);
    assert.equal(await editorText(page), original);
    assert.equal((await summary.innerText()).trim(), '+0 −0 ~0 since checkpoint');
    // Undo went past the scenario switch too.
    await page.locator('[data-testid=undo]').click();
    await settle(page);
    assert.equal(await selectValue(page), DEFAULT_SCENARIO);
  } finally {
    await finish(page);
  }
});

test('loading another scenario keeps the work as a version; versions survive a reload', async () => {
  const page = await openApp(app.browser, app.url);
  try {
    const mine = await mark(page, 'a version to keep');
    await chooseScenario(page, 'np-named-port-ingress');
    await reload(page);
    await page.keyboard.press('h');
    const dialog = page.locator('[data-testid=history-dialog]');
    await dialog.waitFor();
    const other = dialog.locator(`[data-testid=other-scenario][data-name="${DEFAULT_SCENARIO}"]`);
    await other.locator('[data-testid=other-restore]').click();
    await settle(page);
    assert.equal(await editorText(page), mine);
    assert.equal(await selectValue(page), DEFAULT_SCENARIO);
    // The restored scenario's own versions are listed, newest first.
    await page.locator('[data-testid=history]').click();
    const versions = page.locator('[data-testid=history-dialog] [data-testid=version]');
    assert.ok((await versions.count()) >= 1, 'no versions listed');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[data-testid=history-dialog]').count(), 0, 'Esc does not close History');
  } finally {
    await finish(page);
  }
});

// Storage is written on the main thread, and the work is every file's text: it is written
// once the evaluation after a pause in typing is shown (when the page is idle), not per
// key, and at once when the page is hidden or left, so that a reload right after the last
// key keeps it.
test('typing is saved once per pause, and a reload right after the last key keeps every key', async () => {
  const page = await openApp(app.browser, app.url, {
    init: () => {
      window.__workWrites = 0;
      const set = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        if (key === 'netplay.work.v2') window.__workWrites += 1;
        return set.call(this, key, value);
      };
    },
  });
  try {
    const typed = '# typed, then reloaded at once';
    await editor(page).click();
    await page.keyboard.press('Control+End');
    await page.evaluate(() => { window.__workWrites = 0; });
    await page.keyboard.type(typed, { delay: 20 });
    const writes = await page.evaluate(() => window.__workWrites);
    console.log(`work written ${writes} times while typing ${typed.length} keys`);
    assert.ok(writes <= 3, `the work was written ${writes} times for ${typed.length} keys typed without a pause`);
    await page.reload();
    await waitReadyApp(page);
    assert.ok((await editorText(page)).endsWith(typed), 'the keys typed just before the reload are back');
  } finally {
    await finish(page);
  }
});

test('a full storage is reported in words, and the app keeps working', async () => {
  const page = await openApp(app.browser, app.url, {
    init: () => {
      Storage.prototype.setItem = function () {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    },
  });
  try {
    const message = page.locator('[data-testid=message]');
    assert.match(await message.innerText(), /storage is full/i);
    assert.match(await message.getAttribute('class'), /\berror\b/);
    await chooseScenario(page, 'np-deny-all-ingress');
    await setEditorText(page, `${await editorText(page)}# still editing\n`);
    assert.match(await message.innerText(), /storage is full/i, 'the failed save was not reported');
    assert.match(await page.locator('[data-testid=status]').innerText(), /evaluated in/);
  } finally {
    await finish(page);
  }
});

test('disabled storage (private mode) is reported in words, and the app keeps working', async () => {
  const page = await openApp(app.browser, app.url, {
    init: () => {
      for (const name of ['localStorage', 'sessionStorage']) {
        Object.defineProperty(window, name, {
          get() {
            throw new DOMException('The operation is insecure.', 'SecurityError');
          },
        });
      }
    },
  });
  try {
    const message = page.locator('[data-testid=message]');
    assert.match(await message.innerText(), /does not let netplay store anything/);
    await chooseScenario(page, 'np-named-port-ingress');
    assert.match(await page.locator('[data-testid=status]').innerText(), /connections/);
  } finally {
    await finish(page);
  }
});
