// Browser benchmark: the playground (release WASM in Chromium) on synthetic clusters from
// `netplay-synth`, loaded the way a user opens files (the Open… control). It prints
// `BENCH name value unit` lines; it asserts that each run evaluated something, never a
// duration (targets are judged in docs/performance.md, not by a timed test).
//
//   node --test tests/e2e/bench.test.mjs                  small sizes, a few seconds
//   NETPLAY_BENCH=1 node --test tests/e2e/bench.test.mjs  the sizes (minutes)
//
// The durations are the app's own: `data-eval-ms` on the status bar is what core's
// evaluation took inside the page (parse, model, engine, connection list, diagnostics;
// `data-incremental` says whether core updated the kept evaluation). An edit's time to
// the drawn matrix is timed inside the page (from the input event to the frame drawn after
// the status bar changed), so it measures the app and not the test's polling. Main-thread
// tasks are counted with the Long Tasks API: evaluating an edit, redrawing the matrix and
// saving the work afterwards are what the page is frozen for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, useApp, openApp, finish, status, editor, editorText, showMatrix } from './harness.mjs';

const FULL = process.env.NETPLAY_BENCH === '1';
// [namespaces, workloads, policies]: the sizes, or small ones that keep CI quick.
const FIRST = FULL ? [250, 5000, 3000] : [10, 200, 120];
const EDIT = FULL ? [50, 1000, 600] : [10, 200, 120];
const EDITS = FULL ? 10 : 3;
const LONG = FULL ? 900_000 : 60_000;

const SYNTH = path.join(ROOT, 'target/release/netplay-synth');
let work;

const app = useApp({
  setup: async () => {
    if (!existsSync(SYNTH)) {
      execFileSync('cargo', ['build', '--release', '-p', 'netplay-synth'], { cwd: ROOT, stdio: 'inherit' });
    }
    work = mkdtempSync(path.join(tmpdir(), 'netplay-bench-'));
  },
  teardown: async () => {
    if (work) rmSync(work, { recursive: true, force: true });
  },
});

function cluster([ns, workloads, policies]) {
  const dir = path.join(work, `c-${ns}-${workloads}-${policies}`);
  if (!existsSync(dir)) execFileSync(SYNTH, ['cluster', String(ns), String(workloads), String(policies), dir]);
  return readdirSync(dir).map((f) => path.join(dir, f));
}

function bench(name, value, unit) {
  console.log(`BENCH ${name} ${value} ${unit}`);
}

/** At the sizes, a verdict line per target (issue 22); printed, never asserted. */
function verdict(name, value, target, unit) {
  if (FULL) console.log(`verdict: ${name} ${value} ${unit} (target <= ${target} ${unit}): ${value <= target ? 'met' : 'MISSED'}`);
}

/** A page whose tab's saved work is an empty scenario, so the cluster is all it shows. */
async function emptyPage() {
  // Ready first: the app autosaves what it opened with, which would overwrite ours.
  const page = await openApp(app.browser, app.url);
  // A reload opens this tab's own work (session storage) before anything else.
  await page.evaluate(() => {
    sessionStorage.removeItem('netplay.tab.history.v1');
    sessionStorage.setItem('netplay.tab.work.v1', JSON.stringify({ name: 'bench', files: [], active: 0 }));
  });
  await page.reload();
  await page.locator('[data-testid=status][data-eval-ms]').waitFor({ timeout: 30_000 });
  return page;
}

/** Opens the files through the toolbar's Open… control and waits for their evaluation. */
async function openFiles(page, files) {
  const start = Date.now();
  await page.locator('[data-testid=open-files] input[type=file]').setInputFiles(files);
  // Polled from here: the page is busy for seconds at the full size.
  const loaded = () =>
    page.evaluate(
      (n) => document.querySelectorAll('[data-testid=tab]').length === n && Number(document.querySelector('[data-testid=status]').dataset.connections) > 0,
      files.length,
    );
  while (!(await loaded())) {
    assert.ok(Date.now() - start < LONG, `the files were not evaluated within ${LONG} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The page answers once its main thread is free again: the views have been built.
  await page.evaluate(() => 0);
  return Date.now() - start;
}

/** The next frame has been drawn (the page's layout of what came before is done). */
const drawn = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/**
 * Replaces the active file's text as a paste over all of it does (one bubbling input
 * event), and times in the page what the user sees: `typed` just before the input event,
 * `paused` when the status bar first says "editing…" (the edit is drawn; the app's typing
 * pause, `hooks::use_evaluate_after_typing`'s timer, starts in the effects of that same
 * render, just before the observer is called),
 * `shown` when the status bar stops saying "editing…" (the evaluation is taken and the
 * views redrawn in that task), and `painted` once the frame after it has been drawn (a
 * task posted from its animation frame callback runs after the frame's style, layout and
 * paint). Read them with `editTimes`. A long file's textarea shows a window of its lines:
 * call `editorText` first, whose Ctrl+A selects all of it, as a user does before pasting.
 */
async function pasteTimed(page, text) {
  await editor(page).evaluate((t, text) => {
    const status = document.querySelector('[data-testid=status]');
    const w = (window.netplayEdit = { typed: 0, paused: null, shown: null, painted: null, editing: false });
    const watch = new MutationObserver(() => {
      // textContent, not innerText: reading it must not lay the page out.
      if (status.textContent.includes('editing…')) {
        if (!w.editing) w.paused = performance.now();
        w.editing = true;
        return;
      }
      if (!w.editing || w.shown !== null) return;
      w.shown = performance.now();
      watch.disconnect();
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          w.painted = performance.now();
        };
        channel.port2.postMessage(0);
      });
    });
    watch.observe(status, { subtree: true, childList: true, characterData: true, attributes: true });
    w.typed = performance.now();
    t.value = text;
    t.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
  }, text);
}

/** Waits for the pasted edit to be evaluated and drawn; its times in the page (ms). */
async function editTimes(page) {
  await page.waitForFunction(() => window.netplayEdit.painted !== null, null, { timeout: LONG, polling: 50 });
  return page.evaluate(() => window.netplayEdit);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts recording main-thread tasks longer than 50 ms (the Long Tasks API). */
async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.netplayLongTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.netplayLongTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask' });
  });
}

/** The long tasks recorded since the last call, in ms; with `since` (page time) only those that started after it. */
async function takeLongTasks(page, since = -Infinity) {
  const tasks = await page.evaluate(() => window.netplayLongTasks.splice(0));
  return tasks.filter((t) => t.start >= since).map((t) => t.ms);
}

/** The page's clock (performance.now()). */
const pageNow = (page) => page.evaluate(() => performance.now());

/** The app's pause after typing before it evaluates (hooks::DEBOUNCE_MS). */
const DEBOUNCE_MS = 300;

test(`first evaluation of ${FIRST[1]} workloads / ${FIRST[0]} namespaces / ${FIRST[2]} policies`, { timeout: LONG }, async () => {
  const files = cluster(FIRST);
  const page = await emptyPage();
  try {
    const wall = await openFiles(page, files);
    const evalMs = Number(await status(page).getAttribute('data-eval-ms'));
    const connections = Number(await status(page).getAttribute('data-connections'));
    const size = `${FIRST[1]}w_${FIRST[2]}p`;
    bench(`wasm_first_eval_${size}`, evalMs, 'ms');
    bench(`wasm_first_eval_wall_${size}`, wall, 'ms');
    bench(`wasm_first_eval_connections_${size}`, connections, 'lines');
    verdict(`first evaluation in the page, ${size}`, evalMs, 3000, 'ms');
    assert.ok(Number.isFinite(evalMs) && evalMs > 0, `data-eval-ms is not a duration: ${evalMs}`);
    assert.ok(connections > FIRST[1], `only ${connections} connections for ${FIRST[1]} workloads`);
  } finally {
    await finish(page);
  }
});

test(`one policy edited, ${EDIT[1]} workloads / ${EDIT[2]} policies`, { timeout: LONG }, async () => {
  const files = cluster(EDIT);
  const page = await emptyPage();
  try {
    await openFiles(page, files);
    await page.locator('[data-testid=tab][data-name="policies.yaml"]').click();
    // The edit's result is seen in the matrix.
    await showMatrix(page);
    await page.locator('[data-testid=tab][data-name="policies.yaml"]').click();
    await watchLongTasks(page);
    const original = await editorText(page);
    // One policy's rule changes port (5432 is in the generated mix's pod-selector rules);
    // the edits alternate so every one changes the connections.
    const edited = original.replace('- port: 5432', '- port: 5433');
    assert.notEqual(edited, original, 'the generated policies have no port 5432 rule to edit');
    const times = [];
    const walls = [];
    const afterPauses = [];
    const toPauses = [];
    const tasks = [];
    const inputTasks = [];
    const kinds = [];
    const before = Number(await status(page).getAttribute('data-connections'));
    await takeLongTasks(page);
    for (let i = 0; i < EDITS; i++) {
      // Select all (Ctrl+A: the paste then replaces the whole text) before the clock starts.
      await editorText(page);
      await drawn(page);
      await pasteTimed(page, i % 2 === 0 ? edited : original);
      // The paste's own task (the editor and the state take the text), before the pause.
      await new Promise((r) => setTimeout(r, DEBOUNCE_MS / 2));
      const { typed } = await page.evaluate(() => window.netplayEdit);
      inputTasks.push(Math.max(0, ...(await takeLongTasks(page, typed))));
      const paused = await pageNow(page);
      const t = await editTimes(page);
      walls.push(t.painted - t.typed);
      // The edit's own handling (editor, state, drawing "editing…") comes before the pause
      // and is the paste's task; what follows the pause's end is the evaluation and redraw.
      toPauses.push(t.paused - t.typed);
      afterPauses.push(Math.max(0, t.painted - t.paused - DEBOUNCE_MS));
      times.push(Number(await status(page).getAttribute('data-eval-ms')));
      kinds.push(await status(page).getAttribute('data-incremental'));
      // What follows the redraw (saving the work when the page is idle) counts too.
      await new Promise((r) => setTimeout(r, 1500));
      // The longest task after the pause: evaluating, redrawing, saving (0 when none reached 50 ms).
      tasks.push(Math.max(0, ...(await takeLongTasks(page, paused))));
    }
    const size = `${EDIT[1]}w_${EDIT[2]}p`;
    bench(`wasm_policy_edit_eval_${size}`, median(times), 'ms');
    // The longest main-thread task per edit after the pause: evaluating it, redrawing the
    // matrix, saving the work.
    bench(`wasm_policy_edit_longest_task_${size}`, median(tasks), 'ms');
    // The longest task of the paste itself (the input handler: editor and state).
    bench(`wasm_policy_edit_input_task_${size}`, median(inputTasks), 'ms');
    // From the paste to the drawn matrix, timed in the page; it includes the app's 300 ms
    // pause after typing before it evaluates.
    bench(`wasm_policy_edit_wall_${size}`, median(walls).toFixed(1), 'ms');
    // From the paste to the edit drawn and the app's typing pause started.
    bench(`wasm_policy_edit_to_pause_${size}`, median(toPauses).toFixed(1), 'ms');
    // From the end of the pause (its timer firing) to the drawn matrix.
    const after = median(afterPauses);
    bench(`wasm_policy_edit_after_pause_${size}`, after.toFixed(1), 'ms');
    verdict(`one policy edit, the evaluation itself, ${size}`, median(times), 16, 'ms');
    verdict(`one policy edit to the updated matrix after the typing pause, ${size}`, Number(after.toFixed(1)), 50, 'ms');
    verdict(`one policy edit, longest main-thread task after the pause (median), ${size}`, median(tasks), 50, 'ms');
    verdict(`one policy edit, longest main-thread task after the pause (every edit), ${size}`, Math.max(...tasks), 50, 'ms');
    verdict(`one policy edit, the paste's own task, ${size}`, median(inputTasks), 50, 'ms');
    console.log(`edits: data-eval-ms ${times.join(' / ')}; longest task after the pause ${tasks.join(' / ')}; input task ${inputTasks.join(' / ')}; paste to drawn matrix ${walls.map((w) => w.toFixed(1)).join(' / ')}; paste to pause start ${toPauses.map((w) => w.toFixed(1)).join(' / ')}; pause end to drawn matrix ${afterPauses.map((w) => w.toFixed(1)).join(' / ')}; incremental ${kinds.join(' / ')} (${before} connections)`);
    assert.ok(times.every((t) => Number.isFinite(t) && t > 0), `data-eval-ms is not a duration: ${times}`);
    assert.equal(await editorText(page), EDITS % 2 === 0 ? original : edited, 'the editor keeps the text');
  } finally {
    await finish(page);
  }
});

test(`typing in a ${EDIT[1]}-workload file: one keystroke`, { timeout: LONG }, async () => {
  const files = cluster(EDIT);
  const page = await emptyPage();
  try {
    await openFiles(page, files);
    await page.locator('[data-testid=tab][data-name="workloads.yaml"]').click();
    const lines = (await editorText(page)).split('\n').length;
    // The caret at the end of the text (a click would land mid-file, wherever the page
    // scrolled); the Ctrl+A above and this drawn before the tasks are counted.
    await editor(page).focus();
    await page.keyboard.press('Control+End');
    await drawn(page);
    const keys = 10;
    await watchLongTasks(page);
    const start = Date.now();
    for (let i = 0; i < keys; i++) await page.keyboard.press('#');
    // Every keystroke is handled once the page answers.
    await page.evaluate(() => 0);
    const perKey = (Date.now() - start) / keys;
    const tasks = await takeLongTasks(page);
    bench(`wasm_keystroke_${lines}_lines`, perKey.toFixed(1), 'ms');
    // Tasks over 50 ms while typing (before the pause that starts an evaluation).
    bench(`wasm_typing_long_tasks_${lines}_lines`, tasks.length, 'tasks');
    bench(`wasm_typing_longest_task_${lines}_lines`, Math.max(0, ...tasks).toFixed(0), 'ms');
    verdict(`longest main-thread task while typing, ${lines} lines`, Math.max(0, ...tasks), 50, 'ms');
    assert.ok((await editor(page).inputValue()).includes('#'.repeat(keys)), 'the typed text is in the editor');
  } finally {
    await finish(page);
  }
});
