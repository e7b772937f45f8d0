//! The connection list summarised by namespace: what a namespace × namespace matrix (or a
//! graph of namespace boxes) shows when a scenario has too many workloads to show each.
//! A cell is derived from connlist's lines alone: how many workload pairs of the two
//! namespaces have a connection, out of how many there are, and the union of those
//! connections (which protocols and ports some pair of them may use).

use super::{endpoint_kind, EndpointKind};
use crate::conn::ConnSet;
use std::collections::BTreeMap;

/// Where an endpoint belongs in a summary by namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// A namespace: `namespace`, or `cluster/namespace` with several clusters.
    Namespace(String),
    /// Every address outside the cluster (ranges and FQDN destinations).
    External,
    /// The ingress controller.
    IngressController,
}

impl Group {
    /// How the summary names it: the namespace, `outside the cluster`, `ingress controller`.
    pub fn title(&self) -> &str {
        match self {
            Group::Namespace(ns) => ns,
            Group::External => "outside the cluster",
            Group::IngressController => "ingress controller",
        }
    }
}

/// The group of a printed endpoint name (connlist's `src`/`dst`).
pub fn group_of(endpoint: &str) -> Group {
    match endpoint_kind(endpoint) {
        EndpointKind::External => Group::External,
        EndpointKind::IngressController => Group::IngressController,
        EndpointKind::Workload => Group::Namespace(
            endpoint
                .rsplit_once('/')
                .map_or(endpoint, |(namespace, _)| namespace)
                .to_string(),
        ),
    }
}

/// One cell: the connections from one group's endpoints to another's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupCell {
    /// Pairs (source in the row's group, destination in the column's) that have a
    /// connection.
    pub pairs: usize,
    /// Pairs there are: every source with every destination, a workload never with itself.
    pub possible: usize,
    /// The union of the pairs' connections, printed as connlist prints one
    /// (`TCP 5432`, `All Connections`; `No Connections` when no pair connects): what some
    /// pair may use, not what every pair may.
    pub conn: String,
    /// Pairs whose connection changed since the checkpoint (added, removed or changed).
    pub changed: usize,
}

/// The summary: the groups in the order their endpoints were given, with how many
/// endpoints each holds, and the cells that have a connection or a change, by the
/// groups' indices (sorted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupMatrix {
    pub groups: Vec<(Group, usize)>,
    pub cells: Vec<((usize, usize), GroupCell)>,
}

impl GroupMatrix {
    /// The index of `group` in [`GroupMatrix::groups`].
    pub fn index(&self, group: &Group) -> Option<usize> {
        self.groups.iter().position(|(g, _)| g == group)
    }

    /// How many endpoints the group at `index` holds.
    pub fn size(&self, index: usize) -> usize {
        self.groups.get(index).map_or(0, |(_, n)| *n)
    }

    /// The cell from the group at `src` to the group at `dst`, if it has a connection
    /// or a change.
    pub fn cell(&self, src: usize, dst: usize) -> Option<&GroupCell> {
        let at = self.cells.binary_search_by(|(key, _)| key.cmp(&(src, dst))).ok()?;
        self.cells.get(at).map(|(_, c)| c)
    }
}

/// The union of connections as connlist prints them (`TCP 80` and `UDP 53`: `TCP 80,UDP
/// 53`; `No Connections` for none): what some of the pairs may use. The label of a graph
/// arrow that stands for several connections, and a summary cell's ports.
pub fn conn_union<'a>(conns: impl IntoIterator<Item = &'a str>) -> String {
    let mut union = ConnSet::none();
    for c in conns.into_iter().filter_map(ConnSet::parse) {
        union.union_with(&c);
    }
    union.to_string()
}

/// Summarises connlist's lines by group. Each line is `(src, dst, conn, changed)`: a
/// pair, its connection as printed (`None` for a pair that has none now, such as one
/// removed since the checkpoint) and whether it changed since the checkpoint.
/// `endpoints` are every endpoint shown (workloads without a connection count among the
/// possible pairs); an endpoint of a line that is not among them is added after them.
pub fn group_matrix<'a>(
    endpoints: impl IntoIterator<Item = &'a str>,
    lines: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>, bool)>,
) -> GroupMatrix {
    // Plain vectors and ordered maps over indices: the wasm build pays for every new
    // map type in download size.
    let mut groups: Vec<(Group, usize)> = Vec::new();
    let mut member: BTreeMap<&str, usize> = BTreeMap::new();
    let mut add = |endpoint: &'a str, groups: &mut Vec<(Group, usize)>| -> usize {
        if let Some(&i) = member.get(endpoint) {
            return i;
        }
        let group = group_of(endpoint);
        let i = match groups.iter().position(|(g, _)| *g == group) {
            Some(i) => i,
            None => {
                groups.push((group, 0));
                groups.len() - 1
            }
        };
        if let Some((_, n)) = groups.get_mut(i) {
            *n += 1;
        }
        member.insert(endpoint, i);
        i
    };
    for e in endpoints {
        add(e, &mut groups);
    }
    let lines: Vec<(usize, usize, Option<&str>, bool)> = lines
        .into_iter()
        .map(|(src, dst, conn, changed)| (add(src, &mut groups), add(dst, &mut groups), conn, changed))
        .collect();
    // Per cell, in a dense table (no map type of its own: the wasm build pays for each in
    // download size): the counts and each distinct connection text once (lines of one
    // cell mostly repeat a few texts; each is parsed once per cell).
    let n = groups.len();
    let mut counted: Vec<Option<(GroupCell, Vec<&str>)>> = vec![None; n * n];
    for (s, d, conn, changed) in lines {
        let Some(slot) = counted.get_mut(s * n + d) else {
            continue;
        };
        let (cell, conns) = slot.get_or_insert_with(Default::default);
        cell.changed += usize::from(changed);
        if let Some(conn) = conn {
            cell.pairs += 1;
            if !conns.contains(&conn) {
                conns.push(conn);
            }
        }
    }
    let size = |i: usize| groups.get(i).map_or(0, |(_, n)| *n);
    let cells = counted
        .into_iter()
        .enumerate()
        .filter_map(|(at, slot)| {
            let (mut cell, conns) = slot?;
            let (s, d) = (at / n, at % n);
            cell.possible = size(s) * size(d) - if s == d { size(s) } else { 0 };
            cell.conn = conn_union(conns);
            Some(((s, d), cell))
        })
        .collect();
    GroupMatrix { groups, cells }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(src: &'a str, dst: &'a str, conn: &'a str) -> (&'a str, &'a str, Option<&'a str>, bool) {
        (src, dst, Some(conn), false)
    }

    fn ns(name: &str) -> Group {
        Group::Namespace(name.into())
    }

    #[test]
    fn connections_unite_per_protocol_and_port() {
        assert_eq!(
            conn_union(["TCP 80-81", "TCP 82,UDP 53", "SCTP 9"]),
            "SCTP 9,TCP 80-82,UDP 53"
        );
        assert_eq!(
            conn_union(["TCP 1-65535", "UDP 1-65535", "SCTP 1-65535"]),
            "All Connections"
        );
        assert_eq!(conn_union([]), "No Connections");
    }

    #[test]
    fn endpoints_fall_in_their_namespace_or_outside() {
        assert_eq!(group_of("shop/web[Deployment]"), ns("shop"));
        assert_eq!(group_of("east/shop/web[Deployment]"), ns("east/shop"));
        assert_eq!(group_of("0.0.0.0-9.255.255.255[External]"), Group::External);
        assert_eq!(group_of("fqdn:api.example.com"), Group::External);
        assert_eq!(group_of("{ingress-controller}"), Group::IngressController);
    }

    /// Two web workloads and one api in `shop`, a database in `data`: the web pods reach
    /// the api on 8080 and the database on 5432, the api reaches the database on 5432
    /// and 5433; the database reaches nothing.
    #[test]
    fn a_cell_counts_its_pairs_and_unites_their_ports() {
        let endpoints = [
            "shop/web-1[Deployment]",
            "shop/web-2[Deployment]",
            "shop/api[Deployment]",
            "data/db[StatefulSet]",
        ];
        let lines = [
            line("shop/api[Deployment]", "data/db[StatefulSet]", "TCP 5432-5433"),
            line("shop/web-1[Deployment]", "data/db[StatefulSet]", "TCP 5432"),
            line("shop/web-1[Deployment]", "shop/api[Deployment]", "TCP 8080"),
            line("shop/web-2[Deployment]", "data/db[StatefulSet]", "TCP 5432"),
            line("shop/web-2[Deployment]", "shop/api[Deployment]", "TCP 8080"),
        ];
        let m = group_matrix(endpoints, lines);
        assert_eq!(m.groups, vec![(ns("shop"), 3), (ns("data"), 1)]);
        let (shop, data) = (0, 1);
        let shop_data = m.cell(shop, data).expect("shop => data");
        assert_eq!((shop_data.pairs, shop_data.possible), (3, 3));
        assert_eq!(shop_data.conn, "TCP 5432-5433");
        // Within shop: 3 × 3 pairs less each workload with itself.
        let shop_shop = m.cell(shop, shop).expect("shop => shop");
        assert_eq!((shop_shop.pairs, shop_shop.possible), (2, 6));
        assert_eq!(shop_shop.conn, "TCP 8080");
        assert_eq!(m.cell(data, shop), None, "no line, no cell");
    }

    #[test]
    fn protocols_and_all_connections_unite_as_connlist_prints_them() {
        let lines = [
            line("a/x[Pod]", "b/y[Pod]", "UDP 53"),
            line("a/x[Pod]", "b/z[Pod]", "TCP 80"),
            line("a/x[Pod]", "0.0.0.0-255.255.255.255[External]", "TCP 443"),
            line("a/w[Pod]", "0.0.0.0-255.255.255.255[External]", "All Connections"),
        ];
        let m = group_matrix([], lines);
        let (a, b, outside) = (m.index(&ns("a")), m.index(&ns("b")), m.index(&Group::External));
        let (Some(a), Some(b), Some(outside)) = (a, b, outside) else {
            panic!("groups {:?}", m.groups)
        };
        assert_eq!(m.cell(a, b).map(|c| c.conn.as_str()), Some("TCP 80,UDP 53"));
        assert_eq!(m.cell(a, outside).map(|c| c.conn.as_str()), Some("All Connections"));
        assert_eq!(m.size(a), 2, "endpoints of lines only are added");
        assert_eq!(m.size(outside), 1);
    }

    /// Changes since the checkpoint are counted per cell; a pair removed since then has no
    /// connection now but still counts as a change.
    #[test]
    fn changed_and_removed_pairs_are_counted() {
        let lines = [
            ("a/x[Pod]", "b/y[Pod]", Some("TCP 80"), true),
            ("a/x[Pod]", "b/z[Pod]", Some("TCP 80"), false),
            ("a/w[Pod]", "b/z[Pod]", None, true),
        ];
        let m = group_matrix([], lines);
        let cell = m.cell(0, 1).expect("a => b");
        assert_eq!((cell.pairs, cell.changed, cell.conn.as_str()), (2, 2, "TCP 80"));
        let only_removed = group_matrix([], [("a/w[Pod]", "b/z[Pod]", None, true)]);
        let cell = only_removed.cell(0, 1).expect("a => b");
        assert_eq!((cell.pairs, cell.changed, cell.conn.as_str()), (0, 1, "No Connections"));
    }
}
