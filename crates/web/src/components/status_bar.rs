//! The status bar: what the scenario holds, problems, evaluation time, and the changes
//! since the checkpoint with the button that accepts them.

use super::{dispatch, use_app};
use crate::state::Action;
use crate::view_model;
use netplay_core::Severity;
use yew::prelude::*;

#[function_component]
pub fn StatusBar() -> Html {
    let Some(state) = use_app() else { return html! {} };
    let analysis = state.analysis.clone();
    let counts = use_memo((analysis.clone(), state.checkpoint.clone()), |(a, c)| {
        view_model::change_counts_since(a, c)
    });
    let (added, removed, changed) = *counts;
    let cluster = &analysis.scenario.cluster;
    let count = |s: Severity| state.diagnostics.iter().filter(|d| d.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let any = added + removed + changed > 0;
    html! {
        <footer class="status" data-testid="status" data-eval-ms={format!("{:.2}", analysis.eval_ms)}
            data-incremental={analysis.incremental.to_string()}
            data-connections={analysis.lines.len().to_string()}>
            <span data-testid="status-counts">{ format!("{} workloads · {} policies · {} connections", cluster.workloads.len(), cluster.policies.len(), analysis.lines.len()) }</span>
            <span class={classes!(if errors > 0 { "bad" } else { "muted" })}>{ format!("{errors} errors, {warnings} warnings") }</span>
            <span class="muted" title="Time core took to parse and evaluate the scenario">
                { if state.stale() { "editing…".to_string() } else if !state.unparsed.is_empty() { "stale: a document does not parse".to_string() } else { format!("evaluated in {:.1} ms", analysis.eval_ms) } }
            </span>
            if state.evaluating {
                // Drawn at once but shown only after 200 ms (style.css): a quick evaluation
                // does not flash it.
                <span class="busy" data-testid="evaluating" role="status">{ "evaluating…" }</span>
            }
            <span class="spacer" />
            <span data-testid="diff-summary" class={classes!("diff-summary", any.then_some("active"))}
                title="Connections added (+), removed (−) and changed (~) since the checkpoint">
                { format!("+{added} −{removed} ~{changed} since checkpoint") }
            </span>
            <button data-testid="accept-diff" onclick={dispatch(&state, |_: MouseEvent| Action::Checkpoint)} disabled={!any}
                title="Accept the changes: they become the new checkpoint (Ctrl+Enter)">{ "Accept changes" }</button>
        </footer>
    }
}
