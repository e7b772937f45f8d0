// The editor on a long file (issue 22.4). A file of more than 3,000 lines is shown through
// a window of its lines (editor/window.rs): the textarea holds the lines around the view,
// margins stand for the others, and the whole text stays in the app. These tests use it
// as a user would — scrolling, clicking, typing, pasting, Ctrl+A and copy, the Problems
// list, a reload — and check the whole text, read back as a user copies it (Ctrl+A and
// copy: harness `editorText`) or from the clipboard, against the file they opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useApp, openApp, finish, editor, editorText, settle, screenshot } from './harness.mjs';

/** Line height of the editor in pixels (style.css `--line-height`), and its top padding. */
const LINE = 20;
const PAD = 8;
/** The line of the invalid CIDR (1-based), set by `longFile`. */
let cidrLine;

let work;
const app = useApp({
  setup: async () => {
    work = mkdtempSync(path.join(tmpdir(), 'netplay-editor-'));
  },
  teardown: async () => {
    if (work) rmSync(work, { recursive: true, force: true });
  },
});

/**
 * 400 Pods (11 lines each with the separator) and, after the 300th, a NetworkPolicy
 * whose ipBlock is not a CIDR (/33): 400 × 10 + 9 lines, 400 separators and the empty
 * line after the last newline, 4,410 lines; one error far down.
 */
function longFile() {
  const pod = (i) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-${i}\n  namespace: team\n  labels: {app: a${i}}\nspec:\n  containers:\n  - name: c\n    image: nginx\n`;
  const policy =
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: far, namespace: team}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/33\n';
  const docs = Array.from({ length: 400 }, (_, i) => pod(i));
  docs.splice(300, 0, policy);
  const text = docs.join('---\n');
  cidrLine = text.split('\n').findIndex((l) => l.includes('cidr: 10.0.0.0/33')) + 1;
  return text;
}
const TEXT = longFile();
const LINES = TEXT.split('\n');

/** A page showing only `long.yaml` (opened with the toolbar's Open…), the clipboard allowed. */
async function longPage() {
  const page = await openApp(app.browser, app.url);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.url).origin });
  await page.evaluate(() => {
    sessionStorage.removeItem('netplay.tab.history.v1');
    sessionStorage.setItem('netplay.tab.work.v1', JSON.stringify({ name: 'long', files: [], active: 0 }));
  });
  await page.reload();
  await page.locator('[data-testid=status][data-eval-ms]').waitFor({ timeout: 30_000 });
  const file = path.join(work, 'long.yaml');
  writeFileSync(file, TEXT);
  await page.locator('[data-testid=open-files] input[type=file]').setInputFiles([file]);
  await page.locator('[data-testid=tab][data-name="long.yaml"]').waitFor();
  await settle(page);
  return page;
}

/** The window's lines: [first (1-based), last, total], or null when the file is shown whole. */
async function shownLines(page) {
  const w = await editor(page).getAttribute('data-window');
  return w && w.split(' ').map(Number);
}

/** Scrolls the editor so that 1-based line `n` is the first in view; waits for the window to hold it. */
async function scrollToLine(page, n) {
  await page.locator('.editor-scroll').evaluate((s, top) => (s.scrollTop = top), PAD + (n - 1) * LINE);
  await page.waitForFunction(
    (n) => {
      const [first, last] = document.querySelector('textarea[data-testid=editor]').dataset.window.split(' ').map(Number);
      return first <= n && n <= last;
    },
    n,
  );
}

test('a long file is shown through a window of its lines, each at its true place', async () => {
  const page = await longPage();
  try {
    assert.equal(LINES.length, 4410);
    const [first, last, total] = await shownLines(page);
    assert.equal(total, LINES.length);
    assert.equal(first, 1);
    assert.ok(last - first < 400, `the window holds ${last - first + 1} lines`);
    assert.equal(await editor(page).inputValue(), LINES.slice(0, last).join('\n'));
    // The scroll height is the whole file's (one line height each, plus the textarea's
    // spare line and padding), so the scrollbar means what it shows.
    const scroller = page.locator('.editor-scroll');
    assert.equal(await scroller.evaluate((s) => s.scrollHeight), (LINES.length + 1) * LINE + 2 * PAD);

    // Far down, the window follows the view: its lines sit where the whole file's would,
    // and the gutter numbers them; the gutter keeps its width (the text does not move
    // sideways), that of the whole file's widest number and mark.
    const left = async () => (await editor(page).boundingBox()).x;
    const leftAtTop = await left();
    await scrollToLine(page, 3301);
    assert.equal(await left(), leftAtTop, 'beside the marked line 3,309');
    await scrollToLine(page, 2001);
    const [from, to] = await shownLines(page);
    assert.ok(from < 2001 && to > 2001 + 40 && to - from < 400, `window ${from}-${to}`);
    assert.equal(await editor(page).evaluate((t) => t.offsetTop), (from - 1) * LINE);
    assert.equal(await editor(page).inputValue(), LINES.slice(from - 1, to).join('\n'));
    assert.equal((await page.locator('.gutter .gutter-run').first().innerText()).split('\n')[0], String(from));

    // Line 2001 is at the top of the view; a click on the eleventh line in view puts the
    // caret there, and what is typed lands on line 2011.
    const box = await scroller.boundingBox();
    await page.mouse.click(box.x + 300, box.y + 10 * LINE + LINE / 2);
    await page.keyboard.press('End');
    await page.keyboard.type(' # far');
    const whole = (await editorText(page)).split('\n');
    const expected = [...LINES];
    expected[2010] += ' # far';
    assert.deepEqual(whole, expected);
    await page.waitForFunction(() => !document.querySelector('[data-testid=status]').innerText.includes('editing…'));
  } finally {
    await finish(page);
  }
});

test('typing at the end; Ctrl+A and copy give the whole text; a reload keeps it', async () => {
  const page = await longPage();
  try {
    await editor(page).focus();
    await page.keyboard.press('Control+End');
    const [, last, total] = await shownLines(page);
    assert.equal(last, total, 'Ctrl+End shows the last line');
    await page.keyboard.type('# the end');
    assert.ok((await editor(page).inputValue()).endsWith('image: nginx\n# the end'));
    const typed = TEXT + '# the end';

    assert.equal(await editorText(page), typed);
    const selected = await editor(page).evaluate((t) => [t.selectionStart, t.selectionEnd, t.value.length]);
    assert.deepEqual(selected.slice(0, 2), [0, selected[2]], 'Ctrl+A selects the whole text');
    await page.keyboard.press('Control+C');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), typed, 'the clipboard has the whole text');
    // Once the work is saved (the pause after typing), a reload opens the same text.
    await settle(page);
    await page.reload();
    await page.locator('[data-testid=status][data-eval-ms]').waitFor({ timeout: 30_000 });
    assert.ok(await shownLines(page), 'the reloaded file is shown through a window');
    assert.equal(await editorText(page), typed);
    // Ctrl+A is still in effect (editorText pressed it): typing replaces the whole text.
    await page.keyboard.type('# all replaced');
    assert.equal(await editorText(page), '# all replaced');
    assert.equal(await shownLines(page), null, 'one line is shown whole');
  } finally {
    await finish(page);
  }
});

test('a paste of 1,500 lines lands whole, and the window shrinks back around the caret', async () => {
  const page = await longPage();
  try {
    const pasted = Array.from({ length: 1500 }, (_, i) => `# pasted ${i + 1}\n`).join('');
    await page.evaluate((text) => navigator.clipboard.writeText(text), pasted);
    await editor(page).focus();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('Control+V');
    // The caret is after the paste, at the start of what was line 1 (now line 1,501).
    const [first, last, total] = await shownLines(page);
    assert.equal(total, LINES.length + 1500);
    assert.ok(first <= 1501 && 1501 <= last && last - first < 400, `window ${first}-${last}`);
    await page.keyboard.type('Z');
    const whole = (await editorText(page)).split('\n');
    assert.deepEqual(whole.slice(0, 1500), pasted.trimEnd().split('\n'));
    assert.equal(whole[1500], 'Z' + LINES[0]);
    assert.deepEqual(whole.slice(1501), LINES.slice(1));
  } finally {
    await finish(page);
  }
});

/** The editor's view: its first and last whole lines in view (1-based), the line of the
 * caret, and how far it is scrolled sideways. */
async function view(page) {
  return page.locator('.editor-scroll').evaluate((s, [LINE, PAD]) => {
    const t = s.querySelector('textarea');
    const [from] = (t.dataset.window || '1').split(' ').map(Number);
    const before = t.value.slice(0, t.selectionEnd);
    return {
      first: Math.ceil((s.scrollTop - PAD) / LINE) + 1,
      last: Math.floor((s.scrollTop + s.clientHeight - PAD) / LINE),
      caret: from + before.split('\n').length - 1,
      left: s.scrollLeft,
      textareaTop: t.scrollTop,
      textareaAt: t.offsetTop,
      from,
    };
  }, [LINE, PAD]);
}

/** After an edit that replaced the whole text: the caret's line is in view, nothing is
 * scrolled sideways, and the textarea sits where its first line belongs. */
async function assertCaretInView(page, caretLine, what) {
  await page.waitForTimeout(100); // the scroll event the edit caused, and its handling
  const v = await view(page);
  assert.equal(v.caret, caretLine, `${what}: the caret's line`);
  assert.ok(v.first <= caretLine && caretLine <= v.last, `${what}: line ${caretLine} in view ${v.first}-${v.last}`);
  assert.equal(v.left, 0, `${what}: the editor is not scrolled sideways`);
  assert.equal(v.textareaTop, 0, `${what}: the textarea holds its lines unscrolled`);
  assert.equal(v.textareaAt, (v.from - 1) * LINE, `${what}: the window's lines at their place`);
}

test('Ctrl+A and a paste of a whole long file: the view follows the caret to the end', async () => {
  const page = await longPage();
  try {
    const changed = TEXT.replace('name: pod-3\n', 'name: pod-3x\n') + '# pasted\n';
    const lines = changed.split('\n').length;
    // A user's paste (Ctrl+V: one edit), with the caret in the middle of the view first.
    await page.evaluate((text) => navigator.clipboard.writeText(text), changed);
    const box = await page.locator('.editor-scroll').boundingBox();
    await page.mouse.click(box.x + 200, box.y + 10 * LINE);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Control+V');
    await assertCaretInView(page, lines, 'Ctrl+V');
    await screenshot(page, 'editor-whole-paste');
    assert.equal(await editorText(page), changed);
    // A script's typing of the same text (one edit per line in Chromium), as the
    // large-scenario test does.
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(TEXT);
    await assertCaretInView(page, LINES.length, 'insertText');
    assert.equal(await editorText(page), TEXT);
  } finally {
    await finish(page);
  }
});

test('a far diagnostic: the gutter marks its line and the Problems list jumps to it', async () => {
  const page = await longPage();
  try {
    assert.ok(cidrLine > 3000, `the invalid CIDR is on line ${cidrLine}`);
    await page.locator('[data-testid=problems-summary]').click();
    const problem = page.locator('[data-testid=problem]', { hasText: 'NP0010' });
    assert.match(await problem.innerText(), new RegExp(`long\\.yaml:${cidrLine}`));
    await problem.click();
    const [first, last] = await shownLines(page);
    assert.ok(first <= cidrLine && cidrLine <= last, `window ${first}-${last} holds line ${cidrLine}`);
    // The line is selected and in view, its gutter mark beside it.
    const selected = await editor(page).evaluate((t) => t.value.slice(t.selectionStart, t.selectionEnd));
    assert.equal(selected, LINES[cidrLine - 1]);
    const mark = page.locator(`[data-testid=gutter-marker][data-line="${cidrLine}"]`);
    const [markBox, viewBox, textBox] = [await mark.boundingBox(), await page.locator('.editor-scroll').boundingBox(), await editor(page).boundingBox()];
    assert.ok(markBox.y >= viewBox.y && markBox.y + markBox.height <= viewBox.y + viewBox.height, 'the mark is in view');
    assert.equal(markBox.y, textBox.y + PAD + (cidrLine - first) * LINE, 'the mark is beside its line');
    // The field hint reads the whole text: `cidr`, in a NetworkPolicy far from the top.
    await page.keyboard.press('End');
    assert.match(await page.locator('[data-testid=hint]').innerText(), /^cidr: The address range/);

    await screenshot(page, 'editor-window-light');
    await page.locator('[data-testid=theme]').click();
    await screenshot(page, 'editor-window-dark');
  } finally {
    await finish(page);
  }
});

test('IME composition far down, and a caret scrolled away from comes back with the next key', async () => {
  const page = await longPage();
  try {
    await scrollToLine(page, 2001);
    const box = await page.locator('.editor-scroll').boundingBox();
    await page.mouse.click(box.x + 300, box.y + 10 * LINE + LINE / 2);
    await page.keyboard.press('End');
    // An input method composes, then commits (Chromium's IME events, as a Japanese IME
    // sends them); the text after it is not ASCII, nor all in the first UTF-16 plane.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'ね', selectionStart: 1, selectionEnd: 1 });
    await cdp.send('Input.imeSetComposition', { text: 'ねこ', selectionStart: 2, selectionEnd: 2 });
    await cdp.send('Input.insertText', { text: 'ねこ🐈' });
    // Scrolled far away, the window follows the view; the next key types at the caret.
    await scrollToLine(page, 200);
    await page.keyboard.type('!');
    const [first, last] = await shownLines(page);
    assert.ok(first <= 2011 && 2011 <= last, `the window came back to the caret (${first}-${last})`);
    const expected = [...LINES];
    expected[2010] += 'ねこ🐈!';
    assert.deepEqual((await editorText(page)).split('\n'), expected);
  } finally {
    await finish(page);
  }
});
