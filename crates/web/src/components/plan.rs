//! The Plan view: a form over the scenario's AddressPlan, the computed table and
//! diagnostics, and a bar picture of the address space with every range and overlap.
//! Everything is computed by core (`Scenario::plan`); the form writes each field into the
//! plan's own YAML with `cni::edit::set_spec_field`, so the text stays the source of
//! truth and nothing else in it changes.

use crate::state::File;
use crate::view_model::Analysis;
use netplay_core::cni::edit::{flow_list, scalar, set_spec_field};
use netplay_core::cni::plan::{PlanRange, RangeRole};
use netplay_core::cni::{AddressPlan, Family, PlanReport};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PlanProps {
    pub analysis: Rc<Analysis>,
    /// The editor's files: the form rewrites the plan's file.
    pub files: Vec<File>,
    pub on_edit_file: Callback<(String, String)>,
    /// Adds a starter plan when the scenario has none.
    pub on_add_files: Callback<Vec<File>>,
    pub on_jump: Callback<(String, u32)>,
}

/// A starter plan for a scenario without one.
pub const TEMPLATE: &str = "# An address plan: edit it here or in the Plan view's form (docs/cni.md).
apiVersion: netplay.dev/v1alpha1
kind: AddressPlan
metadata:
  name: my-cluster
spec:
  cni: cilium
  datapath: vxlan
  podCIDRs: [10.244.0.0/16]
  serviceCIDRs: [10.96.0.0/12]
  nodeSubnets: [10.0.0.0/24]
  nodePodMaskSize: {ipv4: 24, ipv6: 64}
  underlayMTU: 1500
";

/// Width of the bar area and height of one lane of the picture, in SVG units.
const BAR_WIDTH: f64 = 540.0;
const LABEL_WIDTH: f64 = 200.0;
const LANE: f64 = 24.0;

/// One range drawn as a bar: its lane and horizontal extent within its family's hull.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub cidr: String,
    pub role: RangeRole,
    pub x: f64,
    pub width: f64,
    /// Whether the range shares addresses with another range of the plan.
    pub overlaps: bool,
}

/// The picture of one family: the bars, and each overlap as `(first lane, last lane, x,
/// width)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub family: Family,
    /// First and last address of the hull, as text.
    pub from: String,
    pub to: String,
    pub bars: Vec<Bar>,
    pub overlaps: Vec<(usize, usize, f64, f64)>,
}

fn addr(family: Family, n: u128) -> String {
    match family {
        Family::V4 => std::net::Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)).to_string(),
        Family::V6 => std::net::Ipv6Addr::from(n).to_string(),
    }
}

/// Where addresses go on the picture's axis. Addresses are cut at every range boundary;
/// each piece that some range covers gets a width growing with the logarithm of its size,
/// each gap between ranges a small fixed width. Order and nesting are kept, and a /24
/// stays visible beside a /8 (a linear scale would make it a hair).
struct Axis {
    /// Sorted boundaries (first address of each piece, then one past the last).
    cuts: Vec<u128>,
    /// x of each cut.
    xs: Vec<f64>,
}

impl Axis {
    fn new(ranges: &[&PlanRange]) -> Axis {
        let mut cuts: Vec<u128> = ranges
            .iter()
            .flat_map(|r| [r.start, r.start.saturating_add(r.size)])
            .collect();
        netplay_core::sorting::sort_unstable(&mut cuts);
        cuts.dedup();
        let weights: Vec<f64> = cuts
            .windows(2)
            .map(|w| {
                let covered = ranges
                    .iter()
                    .any(|r| r.start <= w[0] && w[0] < r.start.saturating_add(r.size));
                if covered {
                    ((w[1] - w[0]) as f64).log2() + 2.0
                } else {
                    1.5
                }
            })
            .collect();
        let total: f64 = weights.iter().sum::<f64>().max(1.0);
        let mut xs = vec![0.0];
        for w in &weights {
            let last = *xs.last().unwrap_or(&0.0);
            xs.push(last + w / total * BAR_WIDTH);
        }
        Axis { cuts, xs }
    }

    fn x(&self, addr: u128) -> f64 {
        match self.cuts.binary_search(&addr) {
            Ok(i) => self.xs[i],
            Err(0) => 0.0,
            Err(i) if i >= self.cuts.len() => BAR_WIDTH,
            Err(i) => {
                let (a, b) = (self.cuts[i - 1], self.cuts[i]);
                let f = (addr - a) as f64 / (b - a) as f64;
                self.xs[i - 1] + f * (self.xs[i] - self.xs[i - 1])
            }
        }
    }

    fn place(&self, r: &PlanRange) -> (f64, f64) {
        let x = self.x(r.start).min(BAR_WIDTH - 2.0);
        let end = self.x(r.start.saturating_add(r.size));
        (x, (end - x).max(2.0))
    }
}

/// Lays the ranges of each family out on one axis (see [`Axis`]), one lane per range,
/// and marks the overlaps.
pub fn pictures(report: &PlanReport) -> Vec<Picture> {
    let mut out = Vec::new();
    for family in [Family::V4, Family::V6] {
        let idx: Vec<usize> = (0..report.ranges.len())
            .filter(|&i| report.ranges[i].family == family)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let ranges: Vec<&PlanRange> = idx.iter().map(|&i| &report.ranges[i]).collect();
        let axis = Axis::new(&ranges);
        let lo = ranges.iter().map(|r| r.start).min().unwrap_or(0);
        let hi = ranges
            .iter()
            .map(|r| r.start.saturating_add(r.size.saturating_sub(1)))
            .max()
            .unwrap_or(0);
        let lane_of = |i: usize| idx.iter().position(|&j| j == i);
        let mut bars: Vec<Bar> = ranges
            .iter()
            .map(|r| {
                let (x, width) = axis.place(r);
                Bar {
                    label: r.label.clone(),
                    cidr: r.cidr.to_string(),
                    role: r.role,
                    x,
                    width,
                    overlaps: false,
                }
            })
            .collect();
        let mut overlaps = Vec::new();
        for o in &report.overlaps {
            let (Some(a), Some(b)) = (lane_of(o.a), lane_of(o.b)) else {
                continue;
            };
            bars[a].overlaps = true;
            bars[b].overlaps = true;
            // CIDRs nest: the overlap is the smaller range.
            let inner = if report.ranges[o.a].size <= report.ranges[o.b].size {
                &report.ranges[o.a]
            } else {
                &report.ranges[o.b]
            };
            let (x, w) = axis.place(inner);
            overlaps.push((a.min(b), a.max(b), x, w));
        }
        out.push(Picture {
            family,
            from: addr(family, lo),
            to: addr(family, hi),
            bars,
            overlaps,
        });
    }
    out
}

fn picture_svg(p: &Picture) -> Html {
    let height = LANE * p.bars.len() as f64 + 28.0;
    let width = LABEL_WIDTH + BAR_WIDTH + 10.0;
    html! {
        <svg class="plan-picture" data-testid={format!("plan-picture-{}", p.family)} width={width.to_string()}
            height={height.to_string()} viewBox={format!("0 0 {width} {height}")} role="img"
            aria-label={format!("{} address space", p.family)}>
            <text x="0" y="12" class="plan-axis">{ format!("{} {} … {}  (width grows with the log of a range's size; gaps shortened)", p.family, p.from, p.to) }</text>
            { for p.bars.iter().enumerate().map(|(i, b)| {
                let y = 20.0 + LANE * i as f64;
                let class = format!("plan-bar role-{}{}", b.role.as_str(), if b.overlaps { " overlapping" } else { "" });
                html! {
                    <g data-testid="plan-bar" data-cidr={b.cidr.clone()} data-overlaps={b.overlaps.to_string()}>
                        <text x="0" y={(y + 15.0).to_string()} class="plan-label">{ format!("{} {}", b.label, b.cidr) }</text>
                        <rect x={(LABEL_WIDTH + b.x).to_string()} y={(y + 3.0).to_string()} width={b.width.to_string()}
                            height={(LANE - 6.0).to_string()} class={class}>
                            <title>{ format!("{} range {} ({})", b.role.as_str(), b.cidr, b.label) }</title>
                        </rect>
                    </g>
                }
            }) }
            { for p.overlaps.iter().map(|(a, b, x, w)| {
                let y = 20.0 + LANE * *a as f64;
                let h = LANE * (*b - *a + 1) as f64;
                html! { <rect data-testid="plan-overlap" x={(LABEL_WIDTH + x).to_string()} y={y.to_string()}
                    width={w.to_string()} height={h.to_string()} class="plan-overlap" /> }
            }) }
        </svg>
    }
}

/// What a form field writes into the plan.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Scalar(&'static str),
    Number(&'static str),
    List(&'static str),
    Mask(Family),
    Existing,
}

// Long function: a Yew function component: its hooks must run in the same order on every
// render and share its state and refs, and its html! tree is the one view it draws; the
// parts that stand alone are already functions or components of this module.
#[function_component(Plan)]
pub fn plan(props: &PlanProps) -> Html {
    let chosen = use_state(|| 0usize);
    let problem = use_state(|| None::<String>);
    let scenario = &props.analysis.scenario;
    let outcome = scenario.plan();
    let plans: &[AddressPlan] = &scenario.cluster.cni.plans;
    if plans.is_empty() {
        let add = {
            let cb = props.on_add_files.clone();
            Callback::from(move |_| cb.emit(vec![File::new("address-plan.yaml", TEMPLATE)]))
        };
        return html! {
            <div class="plan-view" data-testid="plan-view">
                <p class="muted">{ "This scenario has no AddressPlan (netplay.dev/v1alpha1). A plan lists the pod, service and node ranges, the CNI and its datapath; netplay computes pods per node, maximum nodes, wasted addresses and the pod MTU, and finds overlaps and limits." }</p>
                <button data-testid="plan-add" onclick={add}>{ "Add an address plan" }</button>
            </div>
        };
    }
    let index = (*chosen).min(plans.len() - 1);
    let plan = plans[index].clone();
    let report = outcome.plans.get(index).cloned();
    let spec = plan.spec.clone();

    let write = {
        let files = props.files.clone();
        let on_edit = props.on_edit_file.clone();
        let problem = problem.clone();
        let plan = plan.clone();
        move |field: Field, raw: String| {
            let file_name = plan.source.loc.file.clone();
            let Some(file) = files.iter().find(|f| f.name == file_name) else {
                return;
            };
            let raw = raw.trim().to_string();
            let (key, value): (&str, Option<String>) = match field {
                Field::Scalar(k) => (k, (!raw.is_empty()).then(|| scalar(&raw))),
                Field::Number(k) => (
                    k,
                    raw.parse::<u64>()
                        .ok()
                        .map(|n| n.to_string())
                        .or_else(|| (!raw.is_empty()).then(|| scalar(&raw))),
                ),
                Field::List(k) => (k, Some(flow_list(&raw))),
                Field::Mask(f) => {
                    let mut m = plan.spec.node_pod_mask_size.clone();
                    let n = raw.parse::<u8>().ok();
                    match f {
                        Family::V4 => m.ipv4 = n,
                        Family::V6 => m.ipv6 = n,
                    }
                    let parts: Vec<String> = [("ipv4", m.ipv4), ("ipv6", m.ipv6)]
                        .iter()
                        .filter_map(|(k, v)| v.map(|v| format!("{k}: {v}")))
                        .collect();
                    (
                        "nodePodMaskSize",
                        (!parts.is_empty()).then(|| format!("{{{}}}", parts.join(", "))),
                    )
                }
                Field::Existing => {
                    let items: Vec<String> = raw
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| {
                            let (name, cidr) = l.rsplit_once('=').unwrap_or(("", l));
                            format!("{{name: {}, cidr: {}}}", scalar(name), scalar(cidr))
                        })
                        .collect();
                    (
                        "existingNetworks",
                        (!items.is_empty()).then(|| format!("[{}]", items.join(", "))),
                    )
                }
            };
            match set_spec_field(&file.text, &plan, key, value.as_deref()) {
                Some(text) => {
                    problem.set(None);
                    on_edit.emit((file_name, text));
                }
                None => problem.set(Some(format!(
                    "{file_name}: the plan's spec is not a block mapping (`spec:` on its own line), so the form cannot edit it; edit the text instead"
                ))),
            }
        }
    };
    let text_input = |label: &'static str, field: Field, value: String, testid: &'static str| {
        let write = write.clone();
        let onchange = Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            write(field, input.value());
        });
        html! {
            <label class="plan-field">{ label }
                <input type="text" data-testid={testid} value={value} {onchange} spellcheck="false" />
            </label>
        }
    };
    let select = |label: &'static str,
                  key: &'static str,
                  options: &[&'static str],
                  value: Option<String>,
                  testid: &'static str| {
        let write = write.clone();
        let onchange = Callback::from(move |e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            write(Field::Scalar(key), s.value());
        });
        let current = value.unwrap_or_default();
        html! {
            <label class="plan-field">{ label }
                <select data-testid={testid} {onchange}>
                    <option value="" selected={current.is_empty()}>{ "(default)" }</option>
                    { for options.iter().map(|o| html! { <option value={*o} selected={current == *o}>{ *o }</option> }) }
                    if !current.is_empty() && !options.contains(&current.as_str()) {
                        <option value={current.clone()} selected=true>{ current.clone() }</option>
                    }
                </select>
            </label>
        }
    };
    let num = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let existing_text = spec
        .existing_networks
        .iter()
        .map(|n| format!("{} = {}", n.name, n.cidr))
        .collect::<Vec<_>>()
        .join("\n");
    let on_existing = {
        let write = write.clone();
        Callback::from(move |e: Event| {
            let t: HtmlTextAreaElement = e.target_unchecked_into();
            write(Field::Existing, t.value());
        })
    };
    let diags: Vec<netplay_core::Diagnostic> = outcome.diagnostics.clone();
    let pick = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            chosen.set(s.value().parse().unwrap_or(0));
        })
    };

    html! {
        <div class="plan-view" data-testid="plan-view">
            if plans.len() > 1 {
                <label class="plan-field">{ "Plan" }
                    <select data-testid="plan-choose" onchange={pick}>
                        { for plans.iter().enumerate().map(|(i, p)| html! {
                            <option value={i.to_string()} selected={i == index}>{ format!("{} (cluster {})", p.name, p.cluster) }</option>
                        }) }
                    </select>
                </label>
            }
            <form class="plan-form" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                { text_input("Cluster", Field::Scalar("cluster"), spec.cluster.clone().unwrap_or_default(), "plan-cluster") }
                { select("CNI", "cni", &["cilium", "calico", "flannel", "other"], spec.cni.clone(), "plan-cni") }
                { select("Datapath", "datapath", &["direct", "vxlan", "geneve", "ipip", "wireguard", "ipsec"], spec.datapath.clone(), "plan-datapath") }
                { text_input("Pod CIDRs", Field::List("podCIDRs"), spec.pod_cidrs.join(", "), "plan-pods") }
                { text_input("Service CIDRs", Field::List("serviceCIDRs"), spec.service_cidrs.join(", "), "plan-services") }
                { text_input("Node subnets", Field::List("nodeSubnets"), spec.node_subnets.join(", "), "plan-nodes") }
                { text_input("Per-node mask IPv4", Field::Mask(Family::V4), spec.node_pod_mask_size.ipv4.map(|n| n.to_string()).unwrap_or_default(), "plan-mask-v4") }
                { text_input("Per-node mask IPv6", Field::Mask(Family::V6), spec.node_pod_mask_size.ipv6.map(|n| n.to_string()).unwrap_or_default(), "plan-mask-v6") }
                { text_input("Max pods per node", Field::Number("maxPodsPerNode"), num(spec.max_pods_per_node), "plan-max-pods") }
                { text_input("Underlay MTU", Field::Number("underlayMTU"), num(spec.underlay_mtu), "plan-underlay-mtu") }
                { text_input("Pod MTU (set)", Field::Number("podMTU"), num(spec.pod_mtu), "plan-pod-mtu") }
                <label class="plan-field plan-wide">{ "Existing networks (name = CIDR, one per line)" }
                    <textarea data-testid="plan-existing" rows="3" value={existing_text} onchange={on_existing} spellcheck="false" />
                </label>
            </form>
            if let Some(p) = &*problem {
                <p class="plan-problem" data-testid="plan-problem">{ p.clone() }</p>
            }
            <ul class="plan-diagnostics" data-testid="plan-diagnostics">
                if diags.is_empty() {
                    <li class="muted">{ "No problems found in the plan." }</li>
                }
                { for diags.iter().map(|d| {
                    let jump = {
                        let cb = props.on_jump.clone();
                        let target = d.file.clone().zip(d.line);
                        Callback::from(move |_| if let Some(t) = target.clone() { cb.emit(t) })
                    };
                    html! {
                        <li class={format!("sev-{}", d.severity)} data-code={d.code}>
                            <button class="link" onclick={jump}>{ format!("{}:{}", d.file.clone().unwrap_or_default(), d.line.unwrap_or(0)) }</button>
                            { format!(" {} {}: {}", d.severity, d.code, d.message) }
                        </li>
                    }
                }) }
            </ul>
            if let Some(report) = &report {
                <div class="plan-results">
                    <div class="plan-pictures">
                        { for pictures(report).iter().map(picture_svg) }
                        <div class="plan-legend muted small">
                            <span class="key role-pod" />{ "pods " }<span class="key role-service" />{ "services " }
                            <span class="key role-node" />{ "nodes " }<span class="key role-existing" />{ "existing " }
                            <span class="key overlap" />{ "overlap" }
                        </div>
                    </div>
                    <table class="plan-table" data-testid="plan-table">
                        <tbody>
                            { for report.rows().into_iter().map(|r| html! {
                                <tr><th scope="row">{ r.label }</th><td>{ r.value }</td></tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netplay_core::{load, SourceFile};

    fn report(text: &str) -> PlanReport {
        load(&[SourceFile::new("p.yaml", text)]).plan().plans.remove(0)
    }

    #[test]
    fn bars_keep_order_and_nesting_and_overlaps_are_marked() {
        let r = report(
            "apiVersion: netplay.dev/v1alpha1\nkind: AddressPlan\nmetadata: {name: x}\nspec:\n  podCIDRs: [10.0.0.0/16]\n  serviceCIDRs: [10.0.128.0/17]\n  nodeSubnets: [192.168.1.0/24]\n",
        );
        let pics = pictures(&r);
        assert_eq!(pics.len(), 1);
        let p = &pics[0];
        assert_eq!((p.from.as_str(), p.to.as_str()), ("10.0.0.0", "192.168.1.255"));
        let [pod, svc, node] = [&p.bars[0], &p.bars[1], &p.bars[2]];
        // The service range is the pod range's upper half, drawn inside it.
        assert!(svc.x > pod.x && (svc.x + svc.width - (pod.x + pod.width)).abs() < 1e-6);
        // The node subnet lies far above, after a shortened gap, and is not a hair.
        assert!(node.x > pod.x + pod.width && node.width > 20.0);
        assert!((node.x + node.width - BAR_WIDTH).abs() < 1e-6);
        assert!(pod.overlaps && svc.overlaps && !node.overlaps);
        assert_eq!(p.overlaps.len(), 1);
        let (a, b, x, w) = p.overlaps[0];
        assert_eq!((a, b), (0, 1));
        assert!((x - svc.x).abs() < 1e-6 && (w - svc.width).abs() < 1e-6);
    }

    #[test]
    fn tiny_ranges_stay_visible() {
        let r = report(
            "apiVersion: netplay.dev/v1alpha1\nkind: AddressPlan\nmetadata: {name: x}\nspec:\n  podCIDRs: [0.0.0.0/1]\n  nodeSubnets: [200.0.0.0/30]\n",
        );
        let p = &pictures(&r)[0];
        assert!(p.bars[1].width >= 2.0 && p.bars[1].x + p.bars[1].width <= BAR_WIDTH + 1e-9);
    }
}
