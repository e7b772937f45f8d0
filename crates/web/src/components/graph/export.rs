//! The graph as a self-contained SVG document, for "export as SVG" and (drawn onto a
//! canvas) "export as PNG": the same layout as the live graph, no external CSS.

use super::texts::{aria_label, arrow_title};
use crate::layout::labels::arrow_label;
use crate::layout::{
    change_badge, change_name, layout, num, EdgePath, Layout, LayoutOptions, NodeBox, NodeRole, NODE_H,
};
use crate::view_model::{Change, GraphModel};
use netplay_core::diagnostics::formats::xml_escape;
use std::fmt::Write as _;

/// What the graph area says when there is nothing to draw.
pub const EMPTY_TEXT: &str = "No workloads yet — load an example or paste manifests into the editor.";

/// The corner radius of a node's box: outside endpoints are pills.
pub fn node_rx(n: &NodeBox) -> &'static str {
    match n.role {
        NodeRole::Workload | NodeRole::Namespace => "6",
        _ => "22",
    }
}

/// Colours of the export: the app's light theme (www/style.css), on white.
mod palette {
    pub const BG: &str = "#ffffff";
    pub const FG: &str = "#1b1f24";
    pub const MUTED: &str = "#5d6673";
    pub const BORDER: &str = "#b4bcc6";
    pub const PANEL: &str = "#f6f7f9";
    pub const NODE: &str = "#ffffff";
    pub const OK: &str = "#15803d";
    pub const BAD: &str = "#b91c1c";
    pub const WARN: &str = "#a16207";
    pub const EDGE: &str = "#5d6673";
    pub const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
}

fn export_colour(c: Change) -> &'static str {
    match c {
        Change::Same => palette::EDGE,
        Change::Added => palette::OK,
        Change::Removed => palette::BAD,
        Change::Changed => palette::WARN,
    }
}

fn export_dash(c: Change) -> &'static str {
    match c {
        Change::Added => " stroke-dasharray=\"7 4\"",
        Change::Removed => " stroke-dasharray=\"2 4\" stroke-linecap=\"round\"",
        _ => "",
    }
}

/// The graph as a self-contained SVG document (no external CSS, white background, the
/// whole graph at 1 px per layout unit), for "export as SVG" and, drawn onto a canvas,
/// "export as PNG". Edge labels follow the live rule without a selection: shown when the
/// graph has few enough arrows for labels to be placed (`layout::labels::LABELS_MAX`).
pub fn standalone_svg(model: &GraphModel, opts: &LayoutOptions) -> String {
    let l = layout(model, opts);
    let mut s = String::new();
    let esc = xml_escape;
    if !l.has_workloads() {
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"300\" viewBox=\"0 0 800 300\" \
             font-family=\"{font}\"><title>{title}</title><rect width=\"800\" height=\"300\" fill=\"{bg}\"/>\
             <text x=\"400\" y=\"150\" text-anchor=\"middle\" dominant-baseline=\"middle\" font-size=\"16\" \
             fill=\"{muted}\">{text}</text></svg>",
            font = palette::FONT,
            title = esc("netplay traffic graph"),
            bg = palette::BG,
            muted = palette::MUTED,
            text = esc(EMPTY_TEXT)
        );
        return s;
    }
    let b = l.bounds;
    let (w, h) = (b.w.ceil().max(1.0), b.h.ceil().max(1.0));
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"{x} {y} {w} {h}\" \
         font-family=\"{font}\">\n<title>{title}</title>\n<desc>{desc}</desc>\n\
         <rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{bg}\"/>\n<defs>\n",
        w = num(w),
        h = num(h),
        x = num(b.x),
        y = num(b.y),
        font = palette::FONT,
        title = esc("netplay traffic graph"),
        desc = esc(&aria_label(model, &l)),
        bg = palette::BG,
    );
    for c in [Change::Same, Change::Added, Change::Removed, Change::Changed] {
        let _ = writeln!(
            s,
            "<marker id=\"npx-arrow-{}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"10\" \
             markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" \
             fill=\"{}\"/></marker>",
            change_name(c),
            export_colour(c)
        );
    }
    s.push_str("</defs>\n");

    for g in &l.groups {
        let r = g.rect;
        let _ = writeln!(
            s,
            "<g data-namespace=\"{ns}\"><title>namespace {ns}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" \
             height=\"{}\" rx=\"10\" fill=\"{}\" stroke=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"13\" \
             font-weight=\"600\" fill=\"{}\">{}</text></g>",
            num(r.x),
            num(r.y),
            num(r.w),
            num(r.h),
            palette::PANEL,
            palette::BORDER,
            num(r.x + 12.0),
            num(r.y + 19.0),
            palette::MUTED,
            esc(&g.label),
            ns = esc(&g.namespace),
        );
    }

    for p in &l.edges {
        write_edge(&mut s, p, &l, model);
    }

    for n in &l.nodes {
        write_node(&mut s, n);
    }
    s.push_str("</svg>\n");
    s
}

/// One arrow of the exported SVG: its path, change badge and label.
fn write_edge(s: &mut String, p: &EdgePath, l: &Layout, model: &GraphModel) {
    let esc = xml_escape;
    let change = crate::layout::aggregate_change(p.edges.iter().filter_map(|&i| model.edges.get(i)).map(|e| e.change));
    let name = change_name(change);
    let colour = export_colour(change);
    let (src, dst) = (
        l.nodes.get(p.src).map(|n| n.id.as_str()).unwrap_or_default(),
        l.nodes.get(p.dst).map(|n| n.id.as_str()).unwrap_or_default(),
    );
    let _ = write!(
        s,
        "<g data-src=\"{}\" data-dst=\"{}\" data-change=\"{name}\"><title>{}</title><path d=\"{}\" fill=\"none\" \
         stroke=\"{colour}\" stroke-width=\"1.6\"{} marker-end=\"url(#npx-arrow-{name})\"/>",
        esc(src),
        esc(dst),
        esc(&arrow_title(p, l, model)),
        p.d(),
        export_dash(change),
    );
    if let Some(badge) = change_badge(change) {
        let _ = write!(
            s,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"8\" fill=\"{bg}\" stroke=\"{colour}\" stroke-width=\"1.5\"/>\
             <text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"700\" \
             fill=\"{colour}\">{badge}</text>",
            x = num(p.mid.x),
            y = num(p.mid.y),
            ty = num(p.mid.y + 4.0),
            bg = palette::BG,
        );
    }
    if let (Some(label), Some(at)) = (arrow_label(p, model), p.label_at) {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\" font-size=\"11\" fill=\"{}\" stroke=\"{}\" \
             stroke-width=\"3\" paint-order=\"stroke\" stroke-linejoin=\"round\">{}</text>",
            num(at.x),
            num(at.y),
            if change == Change::Same { palette::FG } else { colour },
            palette::BG,
            esc(&label)
        );
    }
    s.push_str("</g>\n");
}

/// One box of the exported SVG with its two lines of text.
fn write_node(s: &mut String, n: &NodeBox) {
    let esc = xml_escape;
    let r = n.rect;
    let cx = num(r.x + r.w / 2.0);
    let _ = writeln!(
        s,
        "<g data-node=\"{}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" \
         fill=\"{}\" stroke=\"{}\" stroke-width=\"1.2\"{}/><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" \
         font-size=\"12\" font-weight=\"600\" fill=\"{}\">{}</text><text x=\"{cx}\" y=\"{}\" \
         text-anchor=\"middle\" font-size=\"10\" fill=\"{}\">{}</text></g>",
        esc(&n.id),
        esc(&n.title),
        num(r.x),
        num(r.y),
        num(r.w),
        num(NODE_H.min(r.h)),
        node_rx(n),
        if n.role == NodeRole::Workload {
            palette::NODE
        } else {
            palette::PANEL
        },
        palette::BORDER,
        if matches!(n.role, NodeRole::Workload | NodeRole::Namespace) {
            ""
        } else {
            " stroke-dasharray=\"5 3\""
        },
        num(r.y + 19.0),
        palette::FG,
        esc(&n.label),
        num(r.y + 34.0),
        palette::MUTED,
        esc(&n.sublabel),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::graph::texts::edge_title;
    use crate::layout::labels::edge_label;
    use crate::view_model::{Edge, Node, NodeKind};

    fn workload(ns: &str, name: &str) -> Node {
        Node {
            id: format!("{ns}/{name}[Deployment]"),
            kind: NodeKind::Workload {
                namespace: ns.into(),
                name: name.into(),
                kind: "Deployment".into(),
            },
        }
    }

    fn model() -> GraphModel {
        let a = workload("a&b", "x<y>\"z\"");
        let b = workload("ns", "back'end");
        let ext = Node {
            id: "0.0.0.0-255.255.255.255[External]".into(),
            kind: NodeKind::External,
        };
        let edges = vec![
            Edge {
                src: a.id.clone(),
                dst: b.id.clone(),
                conn: Some("TCP 80".into()),
                old: None,
                change: Change::Same,
            },
            Edge {
                src: b.id.clone(),
                dst: a.id.clone(),
                conn: None,
                old: Some("UDP 53".into()),
                change: Change::Removed,
            },
            Edge {
                src: ext.id.clone(),
                dst: b.id.clone(),
                conn: Some("All Connections".into()),
                old: Some("TCP 443".into()),
                change: Change::Changed,
            },
            Edge {
                src: b.id.clone(),
                dst: ext.id.clone(),
                conn: Some("TCP 1".into()),
                old: None,
                change: Change::Added,
            },
        ];
        GraphModel {
            nodes: vec![a, b, ext],
            edges,
        }
    }

    /// Every `<` starts a tag or a closing tag, every `&` an entity, every attribute
    /// value is closed before the tag ends, and the tags nest.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find(['<', '&']) {
            let (before, at) = rest.split_at(i);
            assert!(!before.contains('>'), "stray > in text: {before}");
            if at.starts_with('&') {
                let end = at.find(';').expect("entity ends");
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&&at[..=end]),
                    "{}",
                    &at[..=end]
                );
                rest = &at[end + 1..];
                continue;
            }
            // A tag: scan to its end outside quotes.
            let mut in_quote = false;
            let mut end = None;
            for (j, c) in at.char_indices().skip(1) {
                match c {
                    '"' => in_quote = !in_quote,
                    '<' => assert!(in_quote, "< inside a tag: {}", &at[..j]),
                    '>' if !in_quote => {
                        end = Some(j);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.expect("tag closes");
            let tag = &at[1..end];
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            if tag.starts_with('/') {
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "closing {name}");
            } else if !tag.ends_with('/') {
                stack.push(name);
            }
            rest = &at[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    #[test]
    fn standalone_svg_is_well_formed_and_escaped() {
        let svg = standalone_svg(&model(), &LayoutOptions::default());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("class="), "no classes needing external CSS");
        assert!(svg.contains("fill=\"#ffffff\""), "white background");
        assert_well_formed(&svg);
        assert!(svg.contains("a&amp;b/x&lt;y&gt;&quot;z&quot;[Deployment]"), "{svg}");
        assert!(svg.contains("back&apos;end"));
        assert!(!svg.contains("x<y"));
        // Changes are marked by badge and dash, not only colour.
        assert!(svg.contains(">+</text>") && svg.contains(">−</text>") && svg.contains(">~</text>"));
        assert!(svg.contains("stroke-dasharray=\"7 4\"") && svg.contains("stroke-dasharray=\"2 4\""));
        // Few edges: labels are shown, except All Connections; the removed one shows what it was.
        assert!(svg.contains(">TCP 80</text>") && svg.contains(">was UDP 53</text>"));
        assert!(!svg.contains(">All Connections</text>"));
        assert!(svg.contains("(changed since the checkpoint; was TCP 443)"));
    }

    #[test]
    fn standalone_svg_of_an_empty_model_says_so() {
        let svg = standalone_svg(&GraphModel::default(), &LayoutOptions::default());
        assert!(svg.starts_with("<svg"));
        assert_well_formed(&svg);
        assert!(svg.contains("No workloads yet"));
        // An external range left over from the checkpoint is not a graph yet.
        let mut m = model();
        m.nodes.retain(|n| n.kind == NodeKind::External);
        let svg = standalone_svg(&m, &LayoutOptions::default());
        assert!(svg.contains("No workloads yet") && !svg.contains("[External]"));
        assert_eq!(
            aria_label(&m, &layout(&m, &LayoutOptions::default())),
            "Traffic graph: no workloads"
        );
    }

    #[test]
    fn standalone_svg_hides_labels_on_busy_graphs() {
        let nodes: Vec<Node> = (0..12).map(|i| workload("ns", &format!("w{i}"))).collect();
        let mut edges = Vec::new();
        for a in &nodes {
            for b in &nodes {
                if a.id != b.id {
                    let conn = Some("TCP 8080".to_string());
                    edges.push(Edge {
                        src: a.id.clone(),
                        dst: b.id.clone(),
                        conn,
                        old: None,
                        change: Change::Same,
                    });
                }
            }
        }
        let svg = standalone_svg(&GraphModel { nodes, edges }, &LayoutOptions::default());
        assert_well_formed(&svg);
        assert!(!svg.contains(">TCP 8080</text>"));
        assert!(svg.contains("TCP 8080</title>"));
    }

    #[test]
    fn edge_texts() {
        let m = model();
        assert_eq!(
            edge_title(&m.edges[0]),
            "a&b/x<y>\"z\"[Deployment] => ns/back'end[Deployment] : TCP 80"
        );
        assert!(edge_title(&m.edges[1]).ends_with(": no connection (removed since the checkpoint; was UDP 53)"));
        assert_eq!(edge_label(&m.edges[2]), None);
        assert_eq!(edge_label(&m.edges[1]).as_deref(), Some("was UDP 53"));
        let l = layout(&m, &LayoutOptions::default());
        assert_eq!(
            aria_label(&m, &l),
            "Traffic graph: 2 workloads shown in 2 namespaces, 3 connections; \
             since the checkpoint 1 added, 1 removed, 1 changed"
        );
    }
}
