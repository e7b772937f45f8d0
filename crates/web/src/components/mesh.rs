//! The Mesh view: send a simulated request through the Istio configuration and read the
//! trace — route, subset, endpoints, mTLS, authorization, NetworkPolicy — step by step.
//! Everything is computed by core (`Scenario::mesh_request`, `mesh_split`).

use crate::state::File;
use crate::view_model::Analysis;
use netplay_core::mesh::edit::{rebalance, set_weight, weighted_routes, WeightedRoute};
use netplay_core::mesh::{status_reason, Outcome, Request, Success, NO_EXCHANGE};
use netplay_core::QueryError;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MeshProps {
    pub analysis: Rc<Analysis>,
    /// Example requests (`requests.txt` lines of a built-in mesh scenario).
    pub examples: Option<Rc<str>>,
    /// The workload selected elsewhere: the default source.
    pub selected: Option<String>,
    pub on_jump: Callback<(String, u32)>,
    /// The editor's files, which weight sliders rewrite.
    pub files: Vec<File>,
    pub on_edit_file: Callback<(String, String)>,
    /// The simulated request's path, for the graph.
    pub on_path: Callback<Vec<crate::view_model::PathHop>>,
    /// Switch to the graph to see the path.
    pub on_show_graph: Callback<()>,
}

/// The form's fields.
#[derive(Clone, PartialEq, Default)]
struct Form {
    from: String,
    url: String,
    method: String,
    headers: String,
}

impl Form {
    fn request(&self) -> Result<Request, QueryError> {
        let mut req = Request::new(&self.from, self.url.trim()).with_method(&self.method);
        for line in self.headers.lines().filter(|l| !l.trim().is_empty()) {
            let (k, v) = Request::parse_header(line)?;
            req = req.with_header(&k, &v);
        }
        Ok(req)
    }

    fn from_request(r: &Request) -> Form {
        let from = match &r.source {
            netplay_core::mesh::Source::Workload(w) => w.clone(),
            netplay_core::mesh::Source::External => "external".into(),
            netplay_core::mesh::Source::MeshClient(ns) => format!("mesh:{ns}"),
        };
        let headers = r
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n");
        Form {
            from,
            url: r.url.clone(),
            method: r.method.clone(),
            headers,
        }
    }
}

/// Sliders for the weights of one route; moving one rewrites the `weight:` lines in the
/// editor's text (the others rebalance to a total of 100).
fn weights_view(route: &WeightedRoute, files: &[File], on_edit_file: &Callback<(String, String)>) -> Html {
    let weights: Vec<u32> = route.destinations.iter().map(|d| d.weight).collect();
    html! {
        <div class="weights" data-testid="mesh-weights" data-vs={route.virtual_service.clone()}>
            <div class="muted small">{ format!("VirtualService {} · http route {}", route.virtual_service, route.route + 1) }</div>
            { for route.destinations.iter().enumerate().map(|(j, d)| {
                let oninput = {
                    let route = route.clone();
                    let files = files.to_vec();
                    let weights = weights.clone();
                    let cb = on_edit_file.clone();
                    Callback::from(move |e: InputEvent| {
                        let value: u32 = e.target_unchecked_into::<HtmlInputElement>().value().parse().unwrap_or(0);
                        let next = rebalance(&weights, j, value);
                        // Rewrite every changed weight, file by file.
                        let mut texts: Vec<(String, String)> = Vec::new();
                        for (k, dest) in route.destinations.iter().enumerate() {
                            if next.get(k) == weights.get(k) {
                                continue;
                            }
                            let pos = texts.iter().position(|(n, _)| *n == dest.loc.file);
                            let current = match pos {
                                Some(p) => texts[p].1.clone(),
                                None => match files.iter().find(|f| f.name == dest.loc.file) {
                                    Some(f) => f.text.clone(),
                                    None => continue,
                                },
                            };
                            if let Some(updated) = set_weight(&current, dest.loc.line, next[k]) {
                                match pos {
                                    Some(p) => texts[p].1 = updated,
                                    None => texts.push((dest.loc.file.clone(), updated)),
                                }
                            }
                        }
                        for t in texts {
                            cb.emit(t);
                        }
                    })
                };
                html! {
                    <label class="weight">
                        <span class="weight-label">{ &d.label }</span>
                        <input type="range" min="0" max="100" step="5" value={d.weight.to_string()} {oninput}
                            data-testid="mesh-weight" aria-label={format!("weight of {}", d.label)} />
                        <span class="weight-value">{ format!("{}%", d.weight) }</span>
                    </label>
                }
            }) }
        </div>
    }
}

/// The headline of an outcome: one result says its status; several say each share
/// (`80% 200 OK (v1) · 20% 503 no endpoints (v2)`), and unless every share succeeds the
/// headline is not green.
fn verdict_view(o: &Outcome) -> Html {
    let success = o.success();
    let (mark, class) = match success {
        Success::All => ("✓", "ok"),
        Success::Partial => ("⚠", "partial"),
        Success::None => ("✗", "bad"),
    };
    let text = match o.outcomes.as_slice() {
        [one] if one.status == NO_EXCHANGE => format!("no HTTP exchange: {}", one.reason),
        [_] | [] if o.status == NO_EXCHANGE => status_reason(o.status).to_string(),
        [_] | [] => netplay_core::present::mesh_status_text(o.status),
        _ => o.headline(),
    };
    let word = match success {
        Success::All => "all",
        Success::Partial => "partial",
        Success::None => "none",
    };
    html! {
        <p class={classes!("verdict", class)} data-testid="mesh-verdict" data-success={word}>
            { format!("{mark} {text}") }
        </p>
    }
}

/// Each distinct result with its share of the requests, as bars.
fn outcomes_view(o: &Outcome) -> Html {
    html! {
        <>
            <h4>{ "Outcomes" }</h4>
            <ul class="shares outcomes">
                { for o.outcomes.iter().map(|share| {
                    let pct = share.share * 100.0;
                    let what = if share.status == NO_EXCHANGE {
                        format!("no HTTP exchange: {}", share.reason)
                    } else {
                        format!("{} {}", share.status, share.reason)
                    };
                    let via = if share.subsets.is_empty() { String::new() } else { format!(" (subset {})", share.subsets.join(", ")) };
                    html! {
                        <li data-testid="mesh-outcome-share" data-status={share.status.to_string()} data-share={format!("{:.4}", share.share)}
                            class={if share.succeeded() { "ok" } else { "bad" }}>
                            <span class="share-label">{ format!("{pct:.0}%") }</span>
                            <svg class="share-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                                <rect class="share-bar-back" width="100" height="10" rx="5" />
                                <rect class="share-bar-fill" width={format!("{pct:.1}")} height="10" rx="5" />
                            </svg>
                            <span>{ format!("{}{what}{via}", if share.succeeded() { "✓ " } else { "✗ " }) }</span>
                        </li>
                    }
                }) }
            </ul>
        </>
    }
}

fn outcome_view(o: &Outcome, from: &str, on_jump: &Callback<(String, u32)>) -> Html {
    html! {
        <div class="mesh-outcome" data-testid="mesh-outcome" data-status={o.status.to_string()} data-from={from.to_string()}>
            { verdict_view(o) }
            if o.outcomes.len() > 1 {
                { outcomes_view(o) }
            }
            if !o.destinations.is_empty() {
                <h4>{ "Delivered to" }</h4>
                <ul class="shares">
                    { for o.destinations.iter().map(|d| {
                        let pct = d.share * 100.0;
                        html! {
                            <li data-testid="mesh-destination" data-workload={d.workload.clone()} data-share={format!("{:.4}", d.share)}>
                                <span class="share-label">{ format!("{pct:.0}%") }</span>
                                <svg class="share-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                                    <rect class="share-bar-back" width="100" height="10" rx="5" />
                                    <rect class="share-bar-fill" width={format!("{pct:.1}")} height="10" rx="5" />
                                </svg>
                                <span>
                                    { &d.workload }
                                    if let Some(s) = &d.subset { <small class="muted">{ format!(" subset {s}") }</small> }
                                </span>
                            </li>
                        }
                    }) }
                </ul>
            }
            <h4>{ "Trace" }</h4>
            <ol class="trace" data-testid="mesh-trace">
                { for o.trace.iter().map(|t| {
                    let link = t.loc.as_ref().map(|loc| {
                        let cb = on_jump.clone();
                        let (file, line) = (loc.file.clone(), loc.line);
                        let onclick = Callback::from(move |e: MouseEvent| { e.prevent_default(); cb.emit((file.clone(), line)); });
                        html! { <a href="#" class="loc" data-testid="mesh-link" {onclick}>{ format!("{}:{}", loc.file, loc.line) }</a> }
                    });
                    html! {
                        <li>
                            <span class="step">{ &t.step }</span>
                            <span class="detail">{ &t.detail }</span>
                            { for link }
                        </li>
                    }
                }) }
            </ol>
        </div>
    }
}

// Long function: a Yew function component: its hooks must run in the same order on every
// render and share its state and refs, and its html! tree is the one view it draws; the
// parts that stand alone are already functions or components of this module.
#[function_component]
pub fn Mesh(props: &MeshProps) -> Html {
    let scenario = &props.analysis.scenario;
    let default_from = props
        .selected
        .clone()
        .filter(|s| netplay_core::present::endpoint_kind(s) == netplay_core::present::EndpointKind::Workload)
        .or_else(|| scenario.cluster.workloads.first().map(|w| w.endpoint_name()))
        .unwrap_or_else(|| "external".into());
    let form = use_state(|| Form {
        from: default_from.clone(),
        method: "GET".into(),
        ..Form::default()
    });
    let sent = use_state(|| None::<Result<Request, QueryError>>);
    let split_host = use_state(String::new);
    let workloads: Vec<String> = scenario.cluster.workloads.iter().map(|w| w.endpoint_name()).collect();
    // The select shows, and Send uses, the same client: the form's when it is still one of
    // the options, else the default. When the options change (another scenario) a stale
    // choice and a request from a client that no longer exists are dropped.
    let valid = |from: &str| Request::new(from, "").source.exists_in(&scenario.cluster);
    let from = if valid(&form.from) {
        form.from.clone()
    } else {
        default_from.clone()
    };
    {
        let (form, sent) = (form.clone(), sent.clone());
        let from = from.clone();
        let options = workloads.clone();
        let analysis = props.analysis.clone();
        use_effect_with(options, move |_| {
            let cluster = &analysis.scenario.cluster;
            let valid = |f: &str| Request::new(f, "").source.exists_in(cluster);
            if form.from != from {
                form.set(Form {
                    from,
                    ..(*form).clone()
                });
            }
            if let Some(Ok(r)) = &*sent {
                if !valid(&Form::from_request(r).from) {
                    sent.set(None);
                }
            }
        });
    }
    // Selects keep the user's choice over `selected`; set their value from the form.
    let from_ref = use_node_ref();
    let method_ref = use_node_ref();
    {
        let (from_ref, method_ref) = (from_ref.clone(), method_ref.clone());
        use_effect_with((from.clone(), form.method.clone()), move |(from, method)| {
            if let Some(s) = from_ref.cast::<HtmlSelectElement>() {
                s.set_value(from);
            }
            if let Some(s) = method_ref.cast::<HtmlSelectElement>() {
                s.set_value(method);
            }
        });
    }
    let split_shown = use_state(|| None::<String>);

    // Re-simulated on every change of the text: the trace follows the edits.
    let outcome = {
        let sent = (*sent).clone();
        use_memo((props.analysis.clone(), sent), |(analysis, sent)| {
            sent.as_ref()
                .map(|r| r.clone().and_then(|r| analysis.scenario.mesh_request(&r)))
        })
    };
    // The path goes to the graph whenever the outcome changes.
    {
        let on_path = props.on_path.clone();
        let from = match &*sent {
            Some(Ok(r)) => Form::from_request(r).from,
            _ => from.clone(),
        };
        use_effect_with((outcome.clone(), from), move |(outcome, from)| {
            let path = match outcome.as_ref() {
                Some(Ok(o)) => crate::view_model::mesh_path(from, o),
                _ => Vec::new(),
            };
            on_path.emit(path);
        });
    }
    let sent_from = match &*sent {
        Some(Ok(r)) => scenario
            .cluster
            .find_workload(&Form::from_request(r).from)
            .map(|w| w.endpoint_name())
            .unwrap_or_else(|_| Form::from_request(r).from),
        _ => String::new(),
    };
    let split = {
        let shown = (*split_shown).clone();
        use_memo((props.analysis.clone(), shown), |(analysis, host)| {
            host.as_ref()
                .map(|h| analysis.scenario.mesh_split(h, None).map(|s| s.to_text()))
        })
    };

    let set = |f: fn(&mut Form, String)| {
        let form = form.clone();
        move |value: String| {
            let mut next = (*form).clone();
            f(&mut next, value);
            form.set(next);
        }
    };
    let on_from = {
        let set = set(|f, v| f.from = v);
        Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_url = {
        let set = set(|f, v| f.url = v);
        Callback::from(move |e: InputEvent| set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_method = {
        let set = set(|f, v| f.method = v);
        Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_headers = {
        let set = set(|f, v| f.headers = v);
        Callback::from(move |e: InputEvent| set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let on_send = {
        let form = form.clone();
        let sent = sent.clone();
        let from = from.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let f = Form {
                from: from.clone(),
                ..(*form).clone()
            };
            sent.set(Some(f.request()));
        })
    };
    let examples: Vec<Request> = props
        .examples
        .as_deref()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| Request::parse_line(l).ok())
        .collect();
    let hosts: Vec<String> = {
        let mut h: Vec<String> = scenario
            .cluster
            .services
            .iter()
            .map(|s| format!("{}.{}", s.name, s.namespace))
            .collect();
        netplay_core::sorting::sort(&mut h);
        h.dedup();
        h
    };
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    html! {
        <div class="mesh-view" data-testid="mesh-view">
            <form class="mesh-form" onsubmit={on_send}>
                <label>{ "From" }
                    <select ref={from_ref} data-testid="mesh-from" onchange={on_from}>
                        <option value="external" selected={from == "external"}>{ "external (through a gateway)" }</option>
                        { for workloads.iter().map(|w| html! { <option value={w.clone()} selected={&from == w}>{ w }</option> }) }
                    </select>
                </label>
                <label class="grow">{ "URL" }
                    <input data-testid="mesh-url" list="mesh-hosts" placeholder="http://reviews:9080/reviews/0 or tcp://db:5432"
                        value={form.url.clone()} oninput={on_url} />
                    <datalist id="mesh-hosts">
                        { for hosts.iter().map(|h| html! { <option value={format!("http://{h}/")} /> }) }
                    </datalist>
                </label>
                <label>{ "Method" }
                    <select ref={method_ref} data-testid="mesh-method" onchange={on_method}>
                        { for methods.iter().map(|m| html! { <option value={*m} selected={form.method == *m}>{ *m }</option> }) }
                    </select>
                </label>
                <label class="headers">{ "Headers" }
                    <textarea data-testid="mesh-headers" rows="2" placeholder="end-user: jason" value={form.headers.clone()} oninput={on_headers} />
                </label>
                <button type="submit" data-testid="mesh-send" class="primary">{ "Send request" }</button>
            </form>
            if !examples.is_empty() {
                <div class="mesh-examples">
                    <span class="muted">{ "Try: " }</span>
                    { for examples.iter().map(|r| {
                        let form = form.clone();
                        let sent = sent.clone();
                        let req = r.clone();
                        // Show the source as the select names it: the full endpoint name.
                        let mut filled = Form::from_request(r);
                        if let Ok(w) = scenario.cluster.find_workload(&filled.from) {
                            filled.from = w.endpoint_name();
                        }
                        let onclick = Callback::from(move |_: MouseEvent| {
                            form.set(filled.clone());
                            sent.set(Some(Ok(req.clone())));
                        });
                        html! { <button class="chip" data-testid="mesh-example" {onclick}>{ r.to_string() }</button> }
                    }) }
                </div>
            }
            {
                match outcome.as_ref() {
                    None => html! {
                        <p class="muted empty-view">{ "Simulate a request through the mesh: pick the client, type a URL (a Service name, e.g. http://reviews:9080/), and send. The trace shows which VirtualService route, DestinationRule subset, endpoints, mTLS mode, AuthorizationPolicy and NetworkPolicy decided it." }</p>
                    },
                    Some(Err(e)) => html! { <p class="verdict bad" data-testid="mesh-error">{ e.to_string() }</p> },
                    Some(Ok(o)) => html! {
                        <>
                            { outcome_view(o, &sent_from, &props.on_jump) }
                            <button class="chip" data-testid="mesh-show-graph"
                                onclick={props.on_show_graph.reform(|_: MouseEvent| ())}>{ "Show the path on the graph →" }</button>
                        </>
                    },
                }
            }
            {
                {
                    let routes = weighted_routes(&scenario.cluster.mesh);
                    if routes.is_empty() {
                        html! {}
                    } else {
                        html! {
                            <details class="mesh-weights" open=true>
                                <summary>{ "Traffic weights (edit the YAML by dragging)" }</summary>
                                { for routes.iter().map(|r| weights_view(r, &props.files, &props.on_edit_file)) }
                            </details>
                        }
                    }
                }
            }
            <details class="mesh-split">
                <summary>{ "Traffic split of a host" }</summary>
                <form onsubmit={{
                    let split_host = split_host.clone();
                    let split_shown = split_shown.clone();
                    Callback::from(move |e: SubmitEvent| { e.prevent_default(); split_shown.set(Some((*split_host).clone())); })
                }}>
                    <input data-testid="mesh-split-host" placeholder="reviews.bookinfo" list="mesh-hosts-bare" value={(*split_host).clone()}
                        oninput={{ let h = split_host.clone(); Callback::from(move |e: InputEvent| h.set(e.target_unchecked_into::<HtmlInputElement>().value())) }} />
                    <datalist id="mesh-hosts-bare">{ for hosts.iter().map(|h| html! { <option value={h.clone()} /> }) }</datalist>
                    <button type="submit">{ "Show split" }</button>
                </form>
                {
                    match split.as_ref() {
                        Some(Ok(text)) => html! { <pre data-testid="mesh-split">{ text.clone() }</pre> },
                        Some(Err(e)) => html! { <p class="bad">{ e.to_string() }</p> },
                        None => html! {},
                    }
                }
            </details>
        </div>
    }
}
