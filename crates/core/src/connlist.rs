//! The connection list produced one source at a time, in its printed order, so that a
//! front end can write each source's lines as soon as they are known.
//!
//! [`crate::Scenario::connlist`] builds every line and sorts them all: its memory grows
//! with the output (4 GB for 14 million lines). Here the names of all endpoints are
//! sorted once; then the sources, in that order, are cut into pieces of
//! [`SOURCES_PER_PIECE`]; for each source of a piece the engine computes its class row
//! ([`Engine::row_in`]), its lines are expanded to workloads, sorted by destination and
//! printed. Natively the pieces are computed on every core and written in order
//! ([`crate::ordered`]). What stays in memory is the model, the engine and the pieces in
//! flight (a few per thread). The bytes are the same as from the whole sorted list: the
//! printed order is source, then destination, then connection, and a name never is a
//! prefix of another.
//!
//! A focused list (one workload, one namespace) needs only the rows of the focused
//! classes and their columns ([`Engine::class_column`]); the rest of the class square is
//! never evaluated.

use crate::bitset::BitSet;
use crate::endpoint::AddrRange;
use crate::model::Cluster;
use crate::netpol::engine::{ConnId, Engine, Overlay};
use crate::netpol::explain::{explain_ends, namespace_labels, End};
use crate::netpol::l7;
use crate::netpol::{fqdn, ingress_controller};
use crate::output::{ConnLine, ConnRows, EmitRow, RowLine, RowWriter, Sink};
use crate::policy::Rule;
use crate::query::QueryError;
use crate::Scenario;
use std::collections::HashMap;
use std::io;

/// Which connections a list holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Focus {
    /// Every allowed connection.
    All,
    /// Those from or to one workload (`ns/name[Kind]`, `ns/name` or a unique name).
    Workload(String),
    /// Those from or to any of these workloads (`connlist --focus-workload A
    /// --focus-workload B`).
    Workloads(Vec<String>),
    /// Those from or to any workload of one namespace.
    Namespace(String),
}

/// A connection list, ready to be produced row by row ([`ConnRows`]).
pub struct Connlist<'c> {
    engine: Engine<'c>,
    /// Endpoint names: the workloads (by index), then external ranges, then the
    /// ingress controller when it reaches anything.
    names: Vec<String>,
    /// Endpoints in printed order.
    order: Vec<u32>,
    /// The sources in printed order: runs of `order` with one name each (more than one
    /// endpoint only for duplicates in the input), as (start, length).
    groups: Vec<(u32, u32)>,
    /// Per endpoint, the position of its name among the distinct names, and per
    /// position one endpoint of that name.
    rank: Vec<u32>,
    by_rank: Vec<u32>,
    /// Endpoint number of each external range.
    external_ids: HashMap<AddrRange, u32>,
    /// Per external range (in endpoint order), the classes it may reach.
    external_sources: Vec<Vec<(u32, ConnId)>>,
    /// What the ingress controller may open, per workload.
    controller: Vec<(usize, ConnId)>,
    /// What each workload may open to FQDN destinations: (workload, endpoint,
    /// connection), by workload.
    fqdn: Vec<(usize, u32, ConnId)>,
    /// With a focus: the workloads in it, the classes holding them, and per other class
    /// its connections to those classes.
    focus: Option<FocusSets>,
    /// Layer 7 markers, when some policy has layer 7 rules.
    marks: Option<L7Marks<'c>>,
    /// Sources per piece of work ([`SOURCES_PER_PIECE`] unless a test asks otherwise).
    piece_sources: usize,
}

/// Sources per piece of work: small enough that the pieces in flight are small next to
/// the model (at 20,000 workloads a source has ≈ 700 lines, 50 KB), large enough that
/// handing one over costs nothing next to computing it.
pub const SOURCES_PER_PIECE: usize = 16;

/// What one thread keeps while it produces rows: its additions to the engine's
/// connection sets, their printed texts, and the class rows of the current piece.
struct RowState<'e> {
    sets: Overlay<'e>,
    /// Printed connection sets, by id of `sets`, formatted once.
    texts: Vec<Option<String>>,
    rows: HashMap<usize, Vec<(u32, ConnId)>>,
    /// The current source's lines: (destination rank, connection).
    lines: Vec<(u32, ConnId)>,
    marks: Vec<String>,
}

struct FocusSets {
    workloads: BitSet,
    classes: BitSet,
    rows: Vec<Vec<(u32, ConnId)>>,
}

impl Scenario {
    /// The connection list of `focus`, to be produced source by source
    /// ([`ConnRows::for_each_row`], [`crate::output::write_connlist`]). `Err` when the
    /// focused workload or namespace is not in the input.
    pub fn connlist_rows(&self, focus: &Focus) -> Result<Connlist<'_>, QueryError> {
        let cluster = &self.cluster;
        let focused: Option<BitSet> = match focus {
            Focus::All => None,
            Focus::Workload(query) => {
                let name = cluster.find_workload(query)?.endpoint_name();
                Some(workload_set(
                    cluster.workloads.iter().map(|w| w.endpoint_name() == name),
                ))
            }
            Focus::Workloads(queries) => {
                let mut names = std::collections::HashSet::new();
                for query in queries {
                    names.insert(cluster.find_workload(query)?.endpoint_name());
                }
                Some(workload_set(
                    cluster.workloads.iter().map(|w| names.contains(&w.endpoint_name())),
                ))
            }
            Focus::Namespace(ns) => {
                let known = cluster.namespaces.iter().any(|n| &n.name == ns)
                    || cluster.workloads.iter().any(|w| &w.namespace == ns);
                if !known {
                    return Err(QueryError::NoNamespace { namespace: ns.clone() });
                }
                Some(workload_set(cluster.workloads.iter().map(|w| &w.namespace == ns)))
            }
        };
        Ok(Connlist::new(Engine::prepare(cluster), focused))
    }
}

fn workload_set(members: impl ExactSizeIterator<Item = bool>) -> BitSet {
    let mut set = BitSet::new(members.len());
    for (i, _) in members.enumerate().filter(|(_, m)| *m) {
        set.insert(i);
    }
    set
}

impl<'c> Connlist<'c> {
    fn new(mut engine: Engine<'c>, focused: Option<BitSet>) -> Self {
        let cluster = engine.cluster();
        let workloads = cluster.workloads.len();
        let mut names: Vec<String> = cluster.workloads.iter().map(|w| w.endpoint_name()).collect();

        // External ranges, as destinations and as sources.
        let classes = engine.classes.len();
        let mut external_ids: HashMap<AddrRange, u32> = HashMap::new();
        let mut external_sources: Vec<Vec<(u32, ConnId)>> = Vec::new();
        for c in 0..classes {
            for &(range, _) in engine.external_to(c) {
                endpoint_of(&mut external_ids, &mut names, &mut external_sources, range);
            }
            for &(range, conn) in engine.external_from(c) {
                let e = endpoint_of(&mut external_ids, &mut names, &mut external_sources, range);
                external_sources[e as usize - workloads].push((c as u32, conn));
            }
        }
        let controller: Vec<(usize, ConnId)> = ingress_controller::connections(&engine)
            .into_iter()
            .map(|(w, conn)| (w, engine.conn_id(conn)))
            .collect();
        if !controller.is_empty() {
            names.push(ingress_controller::INGRESS_CONTROLLER.to_string());
        }
        // FQDN destinations, one endpoint per name (by workload: `connections` is).
        let mut fqdn_ids: HashMap<String, u32> = HashMap::new();
        let fqdn: Vec<(usize, u32, ConnId)> = fqdn::connections(cluster)
            .into_iter()
            .map(|(w, m, conn)| {
                let id = *fqdn_ids.entry(m.fqdn_name()).or_insert_with(|| {
                    names.push(m.fqdn_name());
                    names.len() as u32 - 1
                });
                (w, id, engine.conn_id(conn))
            })
            .collect();

        let mut order: Vec<u32> = (0..names.len() as u32).collect();
        crate::sorting::sort_unstable_by(&mut order, |&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut rank = vec![0u32; names.len()];
        let mut by_rank: Vec<u32> = Vec::new();
        for (i, &e) in order.iter().enumerate() {
            if i == 0 || names[e as usize] != names[order[i - 1] as usize] {
                by_rank.push(e);
            }
            rank[e as usize] = by_rank.len() as u32 - 1;
        }
        let mut groups: Vec<(u32, u32)> = Vec::new();
        for (i, &e) in order.iter().enumerate() {
            match groups.last_mut() {
                Some((start, len)) if rank[order[*start as usize] as usize] == rank[e as usize] => *len += 1,
                _ => groups.push((i as u32, 1)),
            }
        }

        let focus = focused.map(|workloads| {
            let mut focus_classes = BitSet::new(classes);
            for w in workloads.iter() {
                focus_classes.insert(engine.class_of(w));
            }
            let mut rows = vec![Vec::new(); classes];
            for d in focus_classes.iter() {
                for (s, conn) in engine.class_column(d) {
                    rows[s as usize].push((d as u32, conn));
                }
            }
            FocusSets {
                workloads,
                classes: focus_classes,
                rows,
            }
        });
        if focus.is_none() {
            // Every row is wanted: the transposed index makes each one cheaper.
            engine.index_ingress();
        }
        Connlist {
            engine,
            names,
            order,
            groups,
            rank,
            by_rank,
            external_ids,
            external_sources,
            controller,
            fqdn,
            focus,
            marks: L7Marks::new(cluster),
            piece_sources: SOURCES_PER_PIECE,
        }
    }

    /// Whether a line from `src` to `dst` (workload endpoints, or `None` for an external
    /// range or the ingress controller) belongs to the list.
    fn wanted(&self, src: Option<usize>, dst: Option<usize>) -> bool {
        match &self.focus {
            None => true,
            Some(f) => [src, dst].into_iter().flatten().any(|w| f.workloads.contains(w)),
        }
    }

    fn state(&self) -> RowState<'_> {
        RowState {
            sets: self.engine.overlay(),
            texts: Vec::new(),
            rows: HashMap::new(),
            lines: Vec::new(),
            marks: Vec::new(),
        }
    }

    /// Appends the lines of source endpoint `e` to `st.lines` as (destination rank,
    /// connection).
    fn source_lines(&self, e: usize, st: &mut RowState<'_>) {
        let RowState { sets, rows, lines, .. } = st;
        let workloads = self.engine.cluster().workloads.len();
        if e < workloads {
            let s = self.engine.class_of(e);
            let focus_row = self.focus.as_ref().filter(|f| !f.classes.contains(s));
            let row: &[(u32, ConnId)] = match focus_row {
                Some(f) => &f.rows[s],
                None => rows.entry(s).or_insert_with(|| self.engine.row_in(sets, s)),
            };
            for &(d, conn) in row {
                for &wd in &self.engine.classes[d as usize].members {
                    if wd != e && self.wanted(Some(e), Some(wd)) {
                        lines.push((self.rank[wd], conn));
                    }
                }
            }
            if self.wanted(Some(e), None) {
                for (range, conn) in self.engine.external_to(s) {
                    if let Some(&x) = self.external_ids.get(range) {
                        lines.push((self.rank[x as usize], *conn));
                    }
                }
                let from = self.fqdn.partition_point(|&(w, _, _)| w < e);
                for &(_, x, conn) in self.fqdn[from..].iter().take_while(|&&(w, _, _)| w == e) {
                    lines.push((self.rank[x as usize], conn));
                }
            }
        } else if let Some(sources) = self.external_sources.get(e - workloads) {
            for &(c, conn) in sources {
                for &w in &self.engine.classes[c as usize].members {
                    if self.wanted(None, Some(w)) {
                        lines.push((self.rank[w], conn));
                    }
                }
            }
        } else if e == workloads + self.external_sources.len() {
            // The ingress controller (FQDN destinations, after it, are never sources).
            for &(w, conn) in &self.controller {
                if self.wanted(None, Some(w)) {
                    lines.push((self.rank[w], conn));
                }
            }
        }
    }

    /// The row of source group `g`, handed to `emit` when it has lines.
    fn group_row<R>(&self, g: usize, st: &mut RowState<'_>, emit: impl FnOnce(&str, &[RowLine<'_>]) -> R) -> Option<R> {
        let &(start, len) = self.groups.get(g)?;
        let group = self.order.get(start as usize..(start + len) as usize)?;
        st.lines.clear();
        for &e in group {
            self.source_lines(e as usize, st);
        }
        if st.lines.is_empty() {
            return None;
        }
        let RowState {
            sets,
            texts,
            lines,
            marks,
            ..
        } = st;
        for &(_, conn) in lines.iter() {
            let i = conn as usize;
            if texts.len() <= i {
                texts.resize(i + 1, None);
            }
            texts[i].get_or_insert_with(|| sets.conn(conn).to_string());
        }
        let text = |c: ConnId| texts[c as usize].as_deref().unwrap_or_default();
        // Equal destinations only come from equal names (duplicates in the input).
        crate::sorting::sort_unstable_by(lines, |a, b| a.0.cmp(&b.0).then_with(|| text(a.1).cmp(text(b.1))));
        lines.dedup();
        let src = self.names[group[0] as usize].as_str();
        let dst = |d: u32| self.names[self.by_rank[d as usize] as usize].as_str();
        marks.clear();
        if let Some(m) = &self.marks {
            marks.extend(lines.iter().map(|&(d, _)| m.mark(src, dst(d)).unwrap_or_default()));
        }
        let printed: Vec<RowLine> = lines
            .iter()
            .enumerate()
            .map(|(i, &(d, conn))| (dst(d), text(conn), marks.get(i).map_or("", String::as_str)))
            .collect();
        Some(emit(src, &printed))
    }

    /// The same list cut into pieces of `sources` sources (at least one): what tests use
    /// to put piece boundaries everywhere; the output does not change.
    pub fn with_piece_sources(mut self, sources: usize) -> Self {
        self.piece_sources = sources.max(1);
        self
    }

    /// Prints the rows of piece `piece` into `buf`.
    fn piece(&self, st: &mut RowState<'_>, piece: usize, row: RowWriter, buf: &mut Vec<u8>) {
        let start = piece * self.piece_sources;
        for g in start..(start + self.piece_sources).min(self.groups.len()) {
            self.group_row(g, st, |src, lines| row(src, lines, buf));
        }
        // A class row is kept for the members of its class within one piece.
        st.rows.clear();
    }

    /// Every line at once (for the web app and tests; the CLI streams).
    pub fn lines(&mut self) -> Vec<ConnLine> {
        let mut out = Vec::new();
        let _ = self.for_each_row(&mut |src, row| {
            out.extend(row.iter().map(|(dst, conn, l7)| ConnLine {
                src: src.to_string(),
                dst: dst.to_string(),
                conn: conn.to_string(),
                l7: (!l7.is_empty()).then(|| l7.to_string()),
            }));
            Ok(())
        });
        out
    }
}

fn endpoint_of(
    ids: &mut HashMap<AddrRange, u32>,
    names: &mut Vec<String>,
    sources: &mut Vec<Vec<(u32, ConnId)>>,
    range: AddrRange,
) -> u32 {
    *ids.entry(range).or_insert_with(|| {
        names.push(range.to_string());
        sources.push(Vec::new());
        names.len() as u32 - 1
    })
}

impl ConnRows for Connlist<'_> {
    fn for_each_row(&mut self, emit: &mut EmitRow<'_>) -> io::Result<()> {
        let mut st = self.state();
        for g in 0..self.groups.len() {
            if let Some(Err(e)) = self.group_row(g, &mut st, |src, lines| emit(src, lines)) {
                return Err(e);
            }
            if (g + 1) % self.piece_sources == 0 {
                st.rows.clear();
            }
        }
        Ok(())
    }

    /// The pieces on every core natively ([`crate::ordered`]), one after the other in the
    /// wasm build.
    fn write_rows(&mut self, row: RowWriter, sink: &mut Sink<'_>) -> io::Result<()> {
        let this = &*self;
        crate::ordered::for_each_in_order(
            self.groups.len().div_ceil(self.piece_sources),
            &|| this.state(),
            &|st, i, buf| this.piece(st, i, row, buf),
            sink,
        )
    }
}

/// Marks connection lines with the layer 7 constraints on them (Cilium
/// `toPorts[].rules`, [`crate::netpol::l7`]). Only lines whose source's egress or
/// destination's ingress a policy with layer 7 rules selects are explained.
pub(crate) struct L7Marks<'c> {
    cluster: &'c Cluster,
    by_name: HashMap<String, usize>,
    /// Per workload: selected by a policy with layer 7 rules for egress, for ingress.
    egress: Vec<bool>,
    ingress: Vec<bool>,
}

impl<'c> L7Marks<'c> {
    /// `None` when no policy has layer 7 rules (no line has a marker).
    pub(crate) fn new(cluster: &'c Cluster) -> Option<Self> {
        let has_l7 = |rules: Option<&[Rule]>| {
            rules.is_some_and(|rs| rs.iter().any(|r| r.ports.iter().flatten().any(|p| p.l7.is_some())))
        };
        let policies: Vec<_> = cluster
            .policies
            .iter()
            .filter(|p| has_l7(p.ingress.as_deref()) || has_l7(p.egress.as_deref()))
            .collect();
        if policies.is_empty() {
            return None;
        }
        let n = cluster.workloads.len();
        let (mut egress, mut ingress) = (vec![false; n], vec![false; n]);
        for (i, w) in cluster.workloads.iter().enumerate() {
            let labels = namespace_labels(cluster, &w.namespace);
            for p in policies.iter().filter(|p| p.selects_workload(w, &labels)) {
                egress[i] |= has_l7(p.egress.as_deref());
                ingress[i] |= has_l7(p.ingress.as_deref());
            }
        }
        let by_name = cluster
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| (w.endpoint_name(), i))
            .collect();
        Some(L7Marks {
            cluster,
            by_name,
            egress,
            ingress,
        })
    }

    /// The marker of the line from `src` to `dst` (names as connlist prints them).
    pub(crate) fn mark(&self, src: &str, dst: &str) -> Option<String> {
        // An FQDN destination's rules may have layer 7 rules too.
        let fqdn = crate::policy::DnsMatch::from_fqdn_name(dst);
        let end = |name: &str| match self.by_name.get(name) {
            Some(&i) => Some((End::Workload(&self.cluster.workloads[i]), Some(i))),
            None => crate::endpoint::external_address(name).map(|ip| (End::Ip(ip), None)),
        };
        let (s, si) = end(src)?;
        let (d, di) = match &fqdn {
            Some(m) => (End::Fqdn(m), None),
            None => end(dst)?,
        };
        if !si.is_some_and(|i| self.egress[i]) && !di.is_some_and(|i| self.ingress[i]) {
            return None;
        }
        let e = explain_ends(self.cluster, s, d, None);
        (!e.l7.is_empty()).then(|| l7::summary(&e.l7))
    }

    /// Marks every line of a whole list.
    pub(crate) fn mark_all(cluster: &Cluster, lines: &mut [ConnLine]) {
        if let Some(marks) = L7Marks::new(cluster) {
            for line in lines {
                line.l7 = marks.mark(&line.src, &line.dst);
            }
        }
    }
}
