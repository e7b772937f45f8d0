//! The Clusters view: the clusters of a multi-cluster scenario side by side (one box per
//! cluster with its Services and workloads), the edges between them (MCS exports, Istio
//! services merged across a mesh, Cilium global services, east-west gateways), and a form
//! that asks core what a client reaches for a name (`MultiScenario::resolve`, the same
//! function as `netplay multicluster resolve`). Layout only; every answer is core's.

use crate::view_model::Analysis;
use netplay_core::multicluster::{Mechanism, Member, Resolution};
use netplay_core::QueryError;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ClustersProps {
    pub analysis: Rc<Analysis>,
}

const BOX_WIDTH: f64 = 250.0;
const GAP: f64 = 90.0;
const ROW: f64 = 18.0;
const HEADER: f64 = 58.0;

/// One line inside a cluster's box.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    /// `ns/name` of a Service, or `ns/name[Kind]` of a workload.
    key: String,
    text: String,
    service: bool,
}

fn rows(m: &Member) -> Vec<Row> {
    let mut out = Vec::new();
    for s in &m.cluster.services {
        let tags = netplay_core::present::multicluster_service_tags(m, &s.namespace, &s.name);
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", tags.join(", "))
        };
        out.push(Row {
            key: format!("{}/{}", s.namespace, s.name),
            text: format!("svc {}/{}{tags}", s.namespace, s.name),
            service: true,
        });
    }
    for w in &m.cluster.workloads {
        let pods = m.replicas.get(&w.endpoint_name()).copied().unwrap_or(1);
        out.push(Row {
            key: w.endpoint_name(),
            text: format!("{} ×{pods}", w.endpoint_name()),
            service: false,
        });
    }
    out
}

fn describe(m: &Member) -> String {
    let mut parts = Vec::new();
    if !m.region().is_empty() {
        parts.push(if m.zone().is_empty() {
            m.region().to_string()
        } else {
            format!("{}/{}", m.region(), m.zone())
        });
    }
    if let Some(mesh) = &m.spec.mesh_id {
        parts.push(format!("mesh {mesh}"));
    }
    if !m.network().is_empty() {
        parts.push(format!("net {}", m.network()));
    }
    if let Some(cm) = &m.spec.cluster_mesh {
        parts.push(match cm.id {
            Some(id) => format!("clustermesh #{id}"),
            None => "clustermesh".to_string(),
        });
    }
    parts.join(" · ")
}

// Long function: a Yew function component: its hooks must run in the same order on every
// render and share its state and refs, and its html! tree is the one view it draws; the
// parts that stand alone are already functions or components of this module.
#[function_component(Clusters)]
pub fn clusters(props: &ClustersProps) -> Html {
    let from = use_state(String::new);
    let name = use_state(String::new);
    let fail = use_state(String::new);
    let result = use_state(|| None::<Result<Resolution, QueryError>>);
    let from_ref = use_node_ref();
    let workloads: Vec<String> = props
        .analysis
        .scenario
        .multicluster
        .as_deref()
        .map(|multi| {
            multi
                .clusters
                .iter()
                .flat_map(|m| {
                    m.cluster
                        .workloads
                        .iter()
                        .map(move |w| format!("{}/{}/{}", m.name, w.namespace, w.name))
                })
                .collect()
        })
        .unwrap_or_default();
    // The select shows, and Resolve uses, the same client: the chosen one while it is an
    // option, else the first. Another scenario drops the choice and the answer.
    let client = if workloads.contains(&from) {
        (*from).clone()
    } else {
        workloads.first().cloned().unwrap_or_default()
    };
    {
        let (from, result) = (from.clone(), result.clone());
        use_effect_with(workloads.clone(), move |options| {
            if !from.is_empty() && !options.contains(&from) {
                from.set(String::new());
            }
            if result.is_some() {
                result.set(None);
            }
        });
    }
    {
        let from_ref = from_ref.clone();
        let client = client.clone();
        use_effect(move || {
            if let Some(s) = from_ref.cast::<HtmlSelectElement>() {
                if s.value() != client {
                    s.set_value(&client);
                }
            }
        });
    }

    let Some(multi) = props.analysis.scenario.multicluster.as_deref() else {
        return html! {
            <div class="clusters-view" data-testid="clusters-view">
                <p class="clusters-empty" data-testid="clusters-empty">
                    { "This scenario describes one cluster. Add a Cluster document (apiVersion: netplay.dev/v1alpha1) per cluster, or open the example library's multi-cluster scenario (docs/multi-cluster-setup.md)." }
                </p>
            </div>
        };
    };

    let all_rows: Vec<Vec<Row>> = multi.clusters.iter().map(rows).collect();
    let height = HEADER + ROW * all_rows.iter().map(Vec::len).max().unwrap_or(0) as f64 + 40.0;
    let width = multi.clusters.len() as f64 * (BOX_WIDTH + GAP);
    let x_of = |i: usize| 10.0 + i as f64 * (BOX_WIDTH + GAP);
    let y_of = |i: usize, key: &str| {
        all_rows[i]
            .iter()
            .position(|r| r.key == key)
            .map(|p| HEADER + p as f64 * ROW + ROW / 2.0)
    };
    let reached: Vec<(String, String, f64)> = match &*result {
        Some(Ok(r)) => r
            .endpoints
            .iter()
            .map(|e| (e.cluster.clone(), e.workload.clone(), e.share))
            .collect(),
        _ => Vec::new(),
    };

    let boxes = multi.clusters.iter().enumerate().map(|(i, m)| {
        let x = x_of(i);
        let gateway = multi_gateway(m);
        let failed = match &*result {
            Some(Ok(r)) => r.failed.contains(&m.name),
            _ => false,
        };
        html! {
            <g class={classes!("cluster-box", failed.then_some("failed"))} data-testid={format!("cluster-{}", m.name)}>
                <rect x={x.to_string()} y="4" width={BOX_WIDTH.to_string()} height={(height - 8.0).to_string()} rx="8" />
                <text class="cluster-name" x={(x + 10.0).to_string()} y="24">{ &m.name }</text>
                <text class="cluster-meta" x={(x + 10.0).to_string()} y="42">{ describe(m) }</text>
                { for all_rows[i].iter().enumerate().map(|(j, row)| {
                    let share = reached.iter().find(|(c, w, _)| c == &m.name && w == &row.key).map(|(_, _, s)| *s);
                    let y = HEADER + j as f64 * ROW + 13.0;
                    let label = match share {
                        Some(s) => format!("{}  {:.0}%", row.text, s * 100.0),
                        None => row.text.clone(),
                    };
                    html! {
                        <text x={(x + 10.0).to_string()} y={y.to_string()}
                            class={classes!("cluster-row", row.service.then_some("service"), share.map(|s| if s > 0.0 { "reached" } else { "unreached" }))}>
                            { label }
                        </text>
                    }
                }) }
                if let Some(g) = gateway {
                    <text class="cluster-gateway" x={(x + 10.0).to_string()} y={(height - 14.0).to_string()}>{ format!("⇆ east-west gateway {g}") }</text>
                }
            </g>
        }
    });
    let lines = multi.links().into_iter().filter_map(|e| {
        let y1 = y_of(e.from, &e.service)?;
        let y2 = y_of(e.to, &e.service)?;
        let x1 = x_of(e.from) + BOX_WIDTH;
        let x2 = x_of(e.to);
        let mid = (x1 + x2) / 2.0;
        let d = format!("M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}");
        let (class, label) = match e.mechanism {
            Mechanism::Mcs => ("edge-mcs", "MCS export"),
            Mechanism::Istio => ("edge-istio", "Istio"),
            _ => ("edge-clustermesh", "ClusterMesh global"),
        };
        Some(html! {
            <g class={classes!("cluster-edge", class)}>
                <title>{ format!("{} — {label}", e.service) }</title>
                <path d={d} />
            </g>
        })
    });

    let on_from = {
        let from = from.clone();
        Callback::from(move |e: Event| from.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| name.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_fail = {
        let fail = fail.clone();
        Callback::from(move |e: InputEvent| fail.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_resolve = {
        let (name, fail, result) = (name.clone(), fail.clone(), result.clone());
        let analysis = props.analysis.clone();
        let client = client.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(multi) = analysis.scenario.multicluster.as_deref() else {
                return;
            };
            let failed: Vec<String> = fail
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            result.set(Some(multi.resolve(&client, name.trim(), &failed)));
        })
    };

    html! {
        <div class="clusters-view" data-testid="clusters-view">
            <form class="clusters-form" onsubmit={on_resolve} data-testid="clusters-form">
                <label>{ "From " }
                    <select data-testid="clusters-from" onchange={on_from} ref={from_ref}>
                        { for workloads.iter().map(|w| html! { <option value={w.clone()} selected={client == *w}>{ w }</option> }) }
                    </select>
                </label>
                <label>{ "Name " }
                    <input data-testid="clusters-name" placeholder="svc.ns.svc.clusterset.local" value={(*name).clone()} oninput={on_name} />
                </label>
                <label>{ "Fail " }
                    <input data-testid="clusters-fail" placeholder="cluster or region" value={(*fail).clone()} oninput={on_fail} />
                </label>
                <button type="submit" data-testid="clusters-resolve">{ "Resolve" }</button>
            </form>
            <svg class="clusters-svg" data-testid="clusters-svg" width={width.to_string()} height={height.to_string()}
                viewBox={format!("0 0 {width} {height}")} role="img" aria-label="Clusters side by side">
                { for lines }
                { for boxes }
            </svg>
            <p class="clusters-legend">
                <span class="legend-mcs">{ "— MCS export" }</span>
                <span class="legend-istio">{ "— Istio (same name, one mesh)" }</span>
                <span class="legend-clustermesh">{ "— ClusterMesh global" }</span>
            </p>
            {
                match &*result {
                    Some(Ok(r)) => html! {
                        <div class="clusters-result" data-testid="clusters-result" data-from={r.from.clone()}>
                            <p data-testid="clusters-summary">
                                { format!("{} · {} · {}", r.mechanism.as_str(), r.dns.record, if r.reachable() { "reachable" } else { "no endpoint gets traffic" }) }
                            </p>
                            <table class="clusters-endpoints">
                                <thead><tr><th>{ "share" }</th><th>{ "priority" }</th><th>{ "cluster" }</th><th>{ "workload" }</th><th>{ "pods" }</th><th>{ "via" }</th></tr></thead>
                                <tbody>
                                    { for r.endpoints.iter().map(|e| html! {
                                        <tr data-testid="clusters-endpoint">
                                            <td>{ format!("{:.1}%", e.share * 100.0) }</td>
                                            <td>{ format!("p{}", e.priority) }</td>
                                            <td>{ &e.cluster }</td>
                                            <td>{ &e.workload }</td>
                                            <td>{ e.pods }</td>
                                            <td>{ &e.via }</td>
                                        </tr>
                                    }) }
                                </tbody>
                            </table>
                            <pre class="clusters-text">{ r.to_text() }</pre>
                        </div>
                    },
                    Some(Err(e)) => html! { <p class="clusters-error" data-testid="clusters-error">{ e.to_string() }</p> },
                    None => html! {},
                }
            }
        </div>
    }
}

/// The east-west gateway of a cluster, as core finds it.
fn multi_gateway(m: &Member) -> Option<String> {
    netplay_core::multicluster::east_west_gateway(m)
}
