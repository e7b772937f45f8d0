//! The Lessons view: pick a lesson (built in, a lesson file, or a link), then work on its
//! task beside the editor. Each check of the step turns green as the learner edits (core
//! grades after every evaluation), a failing check says why, hints come one at a time,
//! and the end shows a summary. The state keeps the place; this only renders it.

use super::{dispatch, markdown, use_app, AppState};
use crate::browser::{self, Picked};
use crate::hooks::{self, LessonFiles};
use crate::state::lesson::{self, catalogue, LessonRun, LessonSource};
use crate::state::{Action, Message, MessageKind};
use netplay_core::assertions::AssertionResult;
use yew::prelude::*;

#[function_component]
pub fn Lessons() -> Html {
    let (files, retry) = hooks::use_lessons();
    let Some(state) = use_app() else { return html! {} };
    match &state.lesson {
        Some(run) if run.scenario_name() == state.scenario_name => html! {
            <div class="lessons-view" data-testid="lessons-view">{ run_view(&state, run) }</div>
        },
        other => html! {
            <div class="lessons-view" data-testid="lessons-view">
                if let Some(run) = other {
                    <p class="lesson-away" role="status" data-testid="lesson-away">
                        { format!("You left the lesson “{}” for other files. ", run.lesson.title) }
                        <button class="link" data-testid="lesson-resume"
                            onclick={dispatch(&state, { let s = run.source.clone(); move |_: MouseEvent| Action::StartLesson(s.clone()) })}>
                            { "Back to the lesson" }
                        </button>
                    </p>
                }
                { lesson_list(&state, &files, &retry) }
            </div>
        },
    }
}

/// The built-in lessons with the learner's progress (fetched the first time), and a
/// lesson file to open. A function, not a component of its own: each component costs
/// the download its own copy of Yew's lifecycle code.
fn lesson_list(state: &AppState, files: &LessonFiles, retry: &Callback<()>) -> Html {
    let entries = match files {
        LessonFiles::Ready(files) => catalogue(files),
        _ => Vec::new(),
    };
    let on_file = {
        let d = state.dispatcher();
        let done = Callback::from(move |picked: Vec<Picked>| {
            for p in picked {
                match p {
                    Picked::Text(f) => d.dispatch(Action::StartLesson(LessonSource::File {
                        name: f.name,
                        text: f.text,
                    })),
                    Picked::Zip(name, _) => d.dispatch(Action::Message(Some(Message {
                        kind: MessageKind::Error,
                        text: format!(
                            "{name} is a bundle, not a lesson: a lesson is one markdown file (docs/lessons.md)."
                        ),
                    }))),
                }
            }
        });
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<web_sys::HtmlInputElement>();
            browser::read_files(input.files(), done.clone());
            input.set_value("");
        })
    };
    html! {
        <section class="lesson-list" aria-labelledby="lessons-title">
            <h2 id="lessons-title">{ "Lessons" }</h2>
            <p class="muted">{ "Exercises that check themselves: each step is a task on the files in the editor, and its checks turn green as you edit. Your progress stays in this browser." }</p>
            if let LessonFiles::Fetching = files {
                <p class="muted" role="status" data-testid="lessons-fetching">{ "Fetching the lessons…" }</p>
            }
            if let LessonFiles::Failed(why) = files {
                <p class="lesson-away" role="alert" data-testid="lessons-failed">
                    { format!("The lessons did not arrive: {why}. ") }
                    <button class="link" data-testid="lessons-retry" onclick={retry.reform(|_: MouseEvent| ())}>{ "Try again" }</button>
                </p>
            }
            <ol class="lesson-cards" data-testid="lesson-list">
                { for entries.iter().map(|e| {
                    let status = match e.completed {
                        Some(n) if n >= e.steps => "done ✓".to_string(),
                        Some(n) => format!("{n} of {} steps done", e.steps),
                        None => format!("{} step{}", e.steps, if e.steps == 1 { "" } else { "s" }),
                    };
                    let id = e.id.clone();
                    html! {
                        <li class="lesson-card" data-testid="lesson-card" data-lesson={e.id.clone()} data-completed={e.completed.unwrap_or(0).to_string()}>
                            <div class="lesson-card-text">
                                <strong>{ &e.title }</strong>
                                <span class="muted small">{ format!(" · {} · {status}", if e.level.is_empty() { "all levels" } else { &e.level }) }</span>
                                <div class="small">{ &e.summary }</div>
                            </div>
                            <button data-testid="lesson-start" aria-label={format!("{} {}", if e.completed.is_some() { "Continue" } else { "Start" }, e.title)}
                                onclick={dispatch(state, move |_: MouseEvent| Action::StartLesson(LessonSource::Builtin(id.clone())))}>
                                { if e.completed.is_some() { "Continue" } else { "Start" } }
                            </button>
                        </li>
                    }
                }) }
            </ol>
            <label class="button" data-testid="lesson-open-file" title="A lesson file: markdown with front matter and fenced blocks (docs/lessons.md)">
                { "Open a lesson file…" }
                <input type="file" accept=".md,.markdown,text/markdown" class="sr-only" onchange={on_file} />
            </label>
        </section>
    }
}

/// One check: green when it passes; when it fails, what was expected, what is, and why
/// (the explanation open for the first failing check, a click away for the others).
fn check_view(r: &AssertionResult, first_failure: bool) -> Html {
    html! {
        <li class={classes!("lesson-check", if r.passed { "pass" } else { "fail" })}
            data-testid="lesson-check" data-passed={r.passed.to_string()}>
            <span class="mark" aria-hidden="true">{ if r.passed { "✓" } else { "✗" } }</span>
            <span class="sr-only">{ if r.passed { "passes: " } else { "fails: " } }</span>
            <span class="check-name">{ &r.name }</span>
            if !r.passed {
                <div class="check-why" data-testid="lesson-check-why">
                    <div>{ format!("expected {}, but {}", r.expected, r.actual) }</div>
                    if !r.explanation.is_empty() {
                        <details open={first_failure}>
                            <summary>{ "Why?" }</summary>
                            <pre tabindex="0">{ &r.explanation }</pre>
                        </details>
                    }
                </div>
            }
        </li>
    }
}

fn run_view(state: &AppState, run: &LessonRun) -> Html {
    let lesson = &run.lesson;
    let total = lesson.steps.len();
    let share = {
        let d = state.dispatcher();
        let value = lesson::link_value(&run.source);
        Callback::from(move |_: MouseEvent| {
            let link = browser::set_fragment(&format!("{}{value}", browser::LESSON_PREFIX));
            if let Some(link) = &link {
                browser::copy_to_clipboard(link);
            }
            d.dispatch(Action::Message(Some(Message {
                kind: MessageKind::Info,
                text: format!("Lesson link copied: {}", link.unwrap_or_default()),
            })));
        })
    };
    let header = html! {
        <header class="lesson-header">
            <button class="link" data-testid="lesson-close" onclick={dispatch(state, |_: MouseEvent| Action::CloseLesson)}>{ "← All lessons" }</button>
            <h2 data-testid="lesson-title">{ &lesson.title }</h2>
            <ol class="lesson-steps" aria-label="Steps">
                { for lesson.steps.iter().enumerate().map(|(i, s)| {
                    let done = run.progress.done.get(i).copied().unwrap_or(false);
                    let current = i == run.progress.step;
                    html! {
                        <li class={classes!(done.then_some("done"), current.then_some("current"))}
                            aria-current={current.then_some("step")} title={s.title.clone()}>
                            { if done { "✓".to_string() } else { (i + 1).to_string() } }
                        </li>
                    }
                }) }
            </ol>
            <button class="link" data-testid="lesson-share" onclick={share} title="A link that opens this lesson">{ "Share" }</button>
        </header>
    };
    let Some(step) = run.step() else {
        return html! {
            <>
            { header }
            <section class="lesson-summary" data-testid="lesson-summary" aria-label="Summary">
                <h3>{ "Lesson complete ✓" }</h3>
                <p>{ format!("You completed all {total} step{} of “{}”.", if total == 1 { "" } else { "s" }, lesson.title) }</p>
                <table class="md-table">
                    <tr><th scope="col">{ "Step" }</th><th scope="col">{ "Checks" }</th><th scope="col">{ "Hints used" }</th></tr>
                    { for lesson.steps.iter().enumerate().map(|(i, s)| html! {
                        <tr>
                            <td>{ format!("{}. {}", i + 1, s.title) }</td>
                            <td>{ format!("{} passed", s.checks.assertions.len()) }</td>
                            <td>{ format!("{} of {}", run.progress.hints.get(i).copied().unwrap_or(0), s.hints.len()) }</td>
                        </tr>
                    }) }
                </table>
                <p>
                    <button data-testid="lesson-restart" onclick={dispatch(state, |_: MouseEvent| Action::RestartLesson)}>{ "Start over" }</button>
                    { " " }
                    <button class="primary" data-testid="lesson-more" onclick={dispatch(state, |_: MouseEvent| Action::CloseLesson)}>{ "More lessons" }</button>
                </p>
            </section>
            </>
        };
    };
    let index = run.progress.step;
    let shown = run
        .progress
        .hints
        .get(index)
        .copied()
        .unwrap_or(0)
        .min(step.hints.len());
    let passed = run.passed();
    let last = index + 1 == total;
    html! {
        <>
        { header }
        if index == 0 && !lesson.intro.trim().is_empty() {
            <details class="lesson-intro" open={run.progress.done.iter().all(|d| !d)}>
                <summary>{ "Introduction" }</summary>
                <div class="md">{ markdown::render(&lesson.intro) }</div>
            </details>
        }
        <section class="lesson-task" aria-labelledby="lesson-step-title" data-testid="lesson-step" data-step={(index + 1).to_string()}>
            <h3 id="lesson-step-title">{ format!("Step {} of {total}: {}", index + 1, step.title) }</h3>
            <div class="md">{ markdown::render(&step.text) }</div>
        </section>
        <section class="lesson-checks" aria-label="Checks" aria-live="polite">
            <h4>{ format!("Checks: {} of {} pass", run.report.passed(), run.report.results.len()) }</h4>
            <ul data-testid="lesson-checks">{ for run.report.results.iter().enumerate().map(|(i, r)| check_view(r, run.report.results.iter().position(|r| !r.passed) == Some(i))) }</ul>
        </section>
        <section class="lesson-hints" aria-label="Hints">
            { for step.hints.iter().take(shown).enumerate().map(|(i, h)| html! {
                <div class="lesson-hint md" data-testid="lesson-hint"><strong>{ format!("Hint {}: ", i + 1) }</strong>{ markdown::render(h) }</div>
            }) }
            if shown < step.hints.len() {
                <button data-testid="lesson-hint-next" onclick={dispatch(state, |_: MouseEvent| Action::LessonHint)}>
                    { format!("Show a hint ({} left)", step.hints.len() - shown) }
                </button>
            }
        </section>
        <div class="lesson-actions">
            <button data-testid="lesson-reset" title="Put the files back as they were when this step began (your text stays in History and Undo)"
                onclick={dispatch(state, |_: MouseEvent| Action::ResetLessonStep)}>{ "Reset this step" }</button>
            <button class="primary" data-testid="lesson-next" disabled={!passed}
                onclick={dispatch(state, |_: MouseEvent| Action::LessonNext)}>
                { if last { "Finish the lesson ✓" } else { "Next step →" } }
            </button>
            if !passed {
                <span class="muted small">{ "Edit the files on the left until every check passes." }</span>
            }
        </div>
        </>
    }
}
