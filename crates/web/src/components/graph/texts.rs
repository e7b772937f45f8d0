//! The graph's words: tooltips of arrows and boxes, and the summary screen readers hear.

use crate::layout::{EdgePath, Layout, NodeRole};
use crate::view_model::{Change, Edge, GraphModel};
use std::fmt::Write as _;

/// The tooltip of an edge: `SRC => DST : CONN`, and what it was for a change.
pub fn edge_title(e: &Edge) -> String {
    let now = e.conn.as_deref().unwrap_or("no connection");
    let was = e.old.as_deref();
    match e.change {
        Change::Same => format!("{} => {} : {now}", e.src, e.dst),
        Change::Added => format!("{} => {} : {now} (added since the checkpoint)", e.src, e.dst),
        Change::Removed => format!(
            "{} => {} : no connection (removed since the checkpoint; was {})",
            e.src,
            e.dst,
            was.unwrap_or("a connection")
        ),
        Change::Changed => format!(
            "{} => {} : {now} (changed since the checkpoint; was {})",
            e.src,
            e.dst,
            was.unwrap_or("no connection")
        ),
    }
}

/// The tooltip of an arrow: one connection's, or what an aggregate holds.
pub fn arrow_title(p: &EdgePath, l: &Layout, model: &GraphModel) -> String {
    if let Some(e) = p.single().and_then(|i| model.edges.get(i)) {
        return edge_title(e);
    }
    let name = |i: usize| l.nodes.get(i).map(|n| n.title.clone()).unwrap_or_default();
    let count = |c: Change| {
        p.edges
            .iter()
            .filter(|&&i| model.edges.get(i).is_some_and(|e| e.change == c))
            .count()
    };
    let mut s = format!(
        "{}: {} connections from {} to {}",
        crate::layout::labels::aggregate_label(p, model),
        p.edges.len(),
        short(&name(p.src)),
        short(&name(p.dst)),
    );
    let (a, r, c) = (count(Change::Added), count(Change::Removed), count(Change::Changed));
    if a + r + c > 0 {
        let _ = write!(s, " (since the checkpoint {a} added, {r} removed, {c} changed)");
    }
    s.push_str(" — activate to expand");
    s
}

/// What a box stands for, without its description: a workload's `ns/name[Kind]` before
/// " (…)", a collapsed namespace's "namespace NAME" before ": N workloads, collapsed…".
fn short(title: &str) -> &str {
    let end = [" (", ": "]
        .iter()
        .filter_map(|cut| title.find(cut))
        .min()
        .unwrap_or(title.len());
    title.get(..end).unwrap_or(title)
}

/// How many connections the model holds now (the status bar's count).
pub fn connection_count(model: &GraphModel) -> usize {
    model.edges.iter().filter(|e| e.conn.is_some()).count()
}

/// The summary read by screen readers.
pub fn aria_label(model: &GraphModel, l: &Layout) -> String {
    if !l.has_workloads() {
        return "Traffic graph: no workloads".to_string();
    }
    let workloads = l.nodes.iter().filter(|n| n.role == NodeRole::Workload).count();
    let collapsed = l.nodes.iter().filter(|n| n.role == NodeRole::Namespace).count();
    let count = |c: Change| model.edges.iter().filter(|e| e.change == c).count();
    let mut s = format!(
        "Traffic graph: {workloads} workload{} shown in {} namespace{}",
        plural(workloads),
        l.groups.len(),
        plural(l.groups.len()),
    );
    if collapsed > 0 {
        let _ = write!(s, ", {collapsed} collapsed namespace{}", plural(collapsed));
    }
    let n = connection_count(model);
    let _ = write!(s, ", {n} connection{}", plural(n));
    let (added, removed, changed) = (count(Change::Added), count(Change::Removed), count(Change::Changed));
    if added + removed + changed > 0 {
        let _ = write!(
            s,
            "; since the checkpoint {added} added, {removed} removed, {changed} changed"
        );
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn short_names_what_a_box_stands_for() {
        assert_eq!(
            short("namespace team-01: 18 workloads, collapsed (activate to expand)"),
            "namespace team-01"
        );
        assert_eq!(
            short("shop/web[Deployment] (Deployment in namespace shop)"),
            "shop/web[Deployment]"
        );
        assert_eq!(
            short("10.0.0.0-10.255.255.255[External] (addresses outside the cluster)"),
            "10.0.0.0-10.255.255.255[External]"
        );
        assert_eq!(short("{ingress-controller}"), "{ingress-controller}");
    }
}
