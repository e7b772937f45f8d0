//! `netplay lesson`: the built-in lessons, a lesson's self-test, and grading a learner's
//! files offline, as a teacher runs it. Snapshots of real invocations (transcripts).
//!
//! Inputs in `crates/cli/tests/inputs/lessons/`: `learner-dns/` is an answer to the
//! built-in lesson default-deny-dns with the classic two-peers mistake (every pod of
//! kube-system reachable on 53, which the lesson's `only:` check refuses),
//! `learner-dns-fixed/` the corrected answer, `broken.md` a lesson file with one mistake
//! of each kind.

mod common;

use insta::assert_snapshot;

const LEARNER: &str = "crates/cli/tests/inputs/lessons/learner-dns";
const FIXED: &str = "crates/cli/tests/inputs/lessons/learner-dns-fixed";
const BROKEN: &str = "crates/cli/tests/inputs/lessons/broken.md";

fn netplay(args: &[&str]) -> common::Run {
    let run = common::netplay(args);
    run.assert_no_crash();
    run
}

#[test]
fn lesson_list_prints_one_lesson_per_line() {
    let run = netplay(&["lesson", "list"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.lines().count() >= 14, "{}", run.stdout);
    assert_snapshot!(run.transcript());
}

#[test]
fn a_built_in_lesson_passes_its_own_test() {
    let run = netplay(&["lesson", "check", "default-deny-dns"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_snapshot!(run.transcript());
}

#[test]
fn grading_a_learner_explains_the_failing_check_and_exits_1() {
    let run = netplay(&["lesson", "check", "default-deny-dns", "--solution", LEARNER]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout.contains("FAIL  DNS is the only way out of the shop"),
        "{}",
        run.stdout
    );
    assert_snapshot!(run.transcript());
}

#[test]
fn grading_as_junit_has_a_testcase_per_check() {
    let run = netplay(&[
        "lesson",
        "check",
        "default-deny-dns",
        "--solution",
        LEARNER,
        "-o",
        "junit",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout.matches("<testcase ").count(), 4);
    assert_eq!(run.stdout.matches("<failure ").count(), 1);
    assert_snapshot!(run.transcript());
}

#[test]
fn the_fixed_answer_passes_and_an_earlier_step_can_be_graded() {
    let run = netplay(&["lesson", "check", "default-deny-dns", "--solution", FIXED]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.stdout.ends_with("4 passed, 0 failed\n"), "{}", run.stdout);
    // Step 1 on its own: only the default deny (with DNS open, "even DNS is cut" fails).
    let deny_only = format!("{FIXED}/default-deny.yaml");
    let step1 = netplay(&[
        "lesson",
        "check",
        "default-deny-dns",
        "--solution",
        &deny_only,
        "--step",
        "1",
    ]);
    assert_eq!(step1.code, 0, "{}", step1.transcript());
    assert!(
        step1.stdout.starts_with("lesson default-deny-dns, step 1 of 2:"),
        "{}",
        step1.stdout
    );
    let no_step = netplay(&[
        "lesson",
        "check",
        "default-deny-dns",
        "--solution",
        FIXED,
        "--step",
        "3",
    ]);
    assert_eq!(no_step.code, 2);
}

#[test]
fn a_broken_lesson_file_is_reported_at_its_lines_and_exits_2() {
    let run = netplay(&["lesson", "check", BROKEN]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_snapshot!(run.transcript());
}

#[test]
fn an_unknown_lesson_exits_2() {
    let run = netplay(&["lesson", "check", "no-such-lesson"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("netplay lesson list"), "{}", run.stderr);
}
