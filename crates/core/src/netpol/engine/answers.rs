//! What an engine answers once built: connections between classes and workloads, to
//! and from external addresses, and the whole connection list, as sets or printed lines.

use super::sets::{ConnId, NONE};
use super::{side, Connection, Engine, PreparedRule, Side};
use crate::conn::ConnSet;
use crate::endpoint::{AddrRange, Endpoint};
use crate::model::Cluster;
use crate::output::ConnLine;
use crate::policy::walk::Plain;
use std::net::IpAddr;

impl<'c> Engine<'c> {
    pub fn cluster(&self) -> &'c Cluster {
        self.cluster
    }

    /// The class of a workload.
    pub fn class_of(&self, workload: usize) -> usize {
        self.workload_class[workload]
    }

    /// Connections allowed from pods of class `s` to pods of class `d`.
    pub fn class_conn(&self, s: usize, d: usize) -> ConnSet {
        if !self.evaluated {
            return self.pair_uninterned(s, d);
        }
        let Some(row) = self.pairs.get(s) else {
            return ConnSet::none();
        };
        match row.binary_search_by_key(&(d as u32), |&(d, _)| d) {
            Ok(i) => self.table.get(row[i].1).clone(),
            Err(_) => ConnSet::none(),
        }
    }

    /// [`Engine::pair`] for an engine that has not evaluated its pairs and is not mutable
    /// here: the same rules, without interning.
    fn pair_uninterned(&self, s: usize, d: usize) -> ConnSet {
        if s >= self.classes.len() || d >= self.classes.len() {
            return ConnSet::none();
        }
        let ports = self.class_ports[d];
        let conn = |peer: usize| {
            move |_: &mut Plain, r: &PreparedRule| {
                r.classes
                    .contains(peer)
                    .then(|| self.table.get(r.conn_to(ports)).clone())
            }
        };
        let egress = side(
            &mut Plain,
            &self.rules,
            (&self.egress_tiered[s], &self.egress_closing[s]),
            self.egress_of[s].as_ref(),
            conn(d),
        );
        let ingress = side(
            &mut Plain,
            &self.rules,
            (&self.ingress_tiered[d], &self.ingress_closing[d]),
            self.ingress_of[d].as_ref(),
            conn(s),
        );
        egress.intersect(&ingress)
    }

    /// The allowed destinations of class `s`, sorted by class, each with its connection
    /// ([`Engine::conn`]): the row [`Engine::new`] stored, or computed now.
    pub fn class_row(&mut self, s: usize) -> Vec<(u32, ConnId)> {
        if self.evaluated {
            return self.pairs.get(s).cloned().unwrap_or_default();
        }
        if s >= self.classes.len() {
            return Vec::new();
        }
        self.row(s)
    }

    /// The sources allowed to reach class `d`, sorted by class, each with its connection.
    /// Visits every class once: what a connection list focused on `d` needs, without the
    /// rest of the square.
    pub fn class_column(&mut self, d: usize) -> Vec<(u32, ConnId)> {
        if d >= self.classes.len() {
            return Vec::new();
        }
        let mut table = std::mem::take(&mut self.table);
        let column = (0..self.classes.len())
            .filter_map(|s| {
                let conn = if self.evaluated {
                    let row = &self.pairs[s];
                    row.binary_search_by_key(&(d as u32), |&(d, _)| d)
                        .map_or(NONE, |i| row[i].1)
                } else {
                    self.pair_with(&mut table, s, d)
                };
                (conn != NONE).then_some((s as u32, conn))
            })
            .collect();
        self.table = table;
        column
    }

    /// External ranges class `c` may reach, maximal, each with its connection.
    pub fn external_to(&self, c: usize) -> &[(AddrRange, ConnId)] {
        self.to_external.get(c).map_or(&[], Vec::as_slice)
    }

    /// External ranges that may reach class `c`, maximal, each with its connection.
    pub fn external_from(&self, c: usize) -> &[(AddrRange, ConnId)] {
        self.from_external.get(c).map_or(&[], Vec::as_slice)
    }

    /// The connection set behind an id of [`Engine::class_row`] and friends.
    pub fn conn(&self, id: ConnId) -> &ConnSet {
        self.table
            .sets
            .get(id as usize)
            .unwrap_or(&self.table.sets[NONE as usize])
    }

    /// The id of a connection set (interned: equal sets get equal ids).
    pub fn conn_id(&mut self, conn: ConnSet) -> ConnId {
        self.table.intern(conn)
    }

    /// One side of class `c` towards address `ip`: the walk over the rules that cover it.
    fn conn_with_ip(&self, c: usize, dir: Side, ip: IpAddr, conn_of: impl Fn(&PreparedRule) -> u32) -> ConnSet {
        let (of, tiered, closing) = match dir {
            Side::Egress => (&self.egress_of[c], &self.egress_tiered[c], &self.egress_closing[c]),
            Side::Ingress => (&self.ingress_of[c], &self.ingress_tiered[c], &self.ingress_closing[c]),
        };
        let range = match ip {
            IpAddr::V4(a) => AddrRange::V4(u32::from(a), u32::from(a)),
            IpAddr::V6(a) => AddrRange::V6(u128::from(a), u128::from(a)),
        };
        side(&mut Plain, &self.rules, (tiered, closing), of.as_ref(), |_, r| {
            r.addrs
                .contains_range(&range)
                .then(|| self.table.get(conn_of(r)).clone())
        })
    }

    /// Connections from a workload to one external address.
    pub fn conn_to_ip(&self, workload: usize, ip: IpAddr) -> ConnSet {
        let c = self.class_of(workload);
        self.conn_with_ip(c, Side::Egress, ip, |r| r.external_conn)
    }

    /// Connections from one external address to a workload.
    pub fn conn_from_ip(&self, ip: IpAddr, workload: usize) -> ConnSet {
        let c = self.class_of(workload);
        let ports = self.class_ports[c];
        self.conn_with_ip(c, Side::Ingress, ip, |r| r.conn_to(ports))
    }

    /// Number of workload-level connections [`Engine::connections`] returns, without
    /// building them.
    pub fn connection_count(&self) -> usize {
        let mut count = 0;
        for (s, row) in self.pairs.iter().enumerate() {
            let ns = self.classes[s].members.len();
            for &(d, _) in row {
                let nd = self.classes[d as usize].members.len();
                // Pods of one class never connect to themselves.
                count += if d as usize == s { ns * nd - ns } else { ns * nd };
            }
            count += ns * (self.to_external[s].len() + self.from_external[s].len());
        }
        count
    }

    /// Every allowed connection: workload pairs (no self-connections), workloads to
    /// external ranges and external ranges to workloads. Unordered.
    pub fn connections(&self) -> Vec<Connection> {
        let mut out = Vec::with_capacity(self.connection_count());
        for (s, row) in self.pairs.iter().enumerate() {
            for &(d, conn) in row {
                let conn = self.table.get(conn);
                for &ws in &self.classes[s].members {
                    for &wd in &self.classes[d as usize].members {
                        if ws != wd {
                            out.push(Connection {
                                src: Endpoint::Workload(ws),
                                dst: Endpoint::Workload(wd),
                                conn: conn.clone(),
                            });
                        }
                    }
                }
            }
        }
        for c in 0..self.classes.len() {
            for &(range, conn) in &self.to_external[c] {
                for &w in &self.classes[c].members {
                    out.push(Connection {
                        src: Endpoint::Workload(w),
                        dst: Endpoint::External(range),
                        conn: self.table.get(conn).clone(),
                    });
                }
            }
            for &(range, conn) in &self.from_external[c] {
                for &w in &self.classes[c].members {
                    out.push(Connection {
                        src: Endpoint::External(range),
                        dst: Endpoint::Workload(w),
                        conn: self.table.get(conn).clone(),
                    });
                }
            }
        }
        out
    }

    /// Every allowed connection as a printed line, unsorted. Each workload's name and
    /// each distinct connection set are formatted once, however many lines use them.
    pub fn lines(&self) -> Vec<ConnLine> {
        let names: Vec<String> = self.cluster.workloads.iter().map(|w| w.endpoint_name()).collect();
        let mut texts: Vec<Option<String>> = vec![None; self.table.sets.len()];
        let mut text = |id: u32| -> String {
            texts[id as usize]
                .get_or_insert_with(|| self.table.get(id).to_string())
                .clone()
        };
        let mut out = Vec::with_capacity(self.connection_count());
        for (s, row) in self.pairs.iter().enumerate() {
            for &(d, conn) in row {
                for &ws in &self.classes[s].members {
                    for &wd in &self.classes[d as usize].members {
                        if ws != wd {
                            out.push(ConnLine {
                                src: names[ws].clone(),
                                dst: names[wd].clone(),
                                conn: text(conn),
                                l7: None,
                            });
                        }
                    }
                }
            }
        }
        for c in 0..self.classes.len() {
            for (external, to) in [(&self.to_external[c], true), (&self.from_external[c], false)] {
                for &(range, conn) in external {
                    let range = range.to_string();
                    for &w in &self.classes[c].members {
                        let (src, dst) = if to {
                            (names[w].clone(), range.clone())
                        } else {
                            (range.clone(), names[w].clone())
                        };
                        out.push(ConnLine {
                            src,
                            dst,
                            conn: text(conn),
                            l7: None,
                        });
                    }
                }
            }
        }
        out
    }

    /// Connections into a workload from a pod the input does not describe, in a namespace
    /// it does not describe either (an ingress controller): only rules that admit every
    /// source, or every pod of every namespace, can let it in.
    pub fn conn_from_unknown_pod(&self, workload: usize) -> ConnSet {
        let d = self.class_of(workload);
        let ports = self.class_ports[d];
        side(
            &mut Plain,
            &self.rules,
            (&self.ingress_tiered[d], &self.ingress_closing[d]),
            self.ingress_of[d].as_ref(),
            |_, r| r.admits_anyone.then(|| self.table.get(r.conn_to(ports)).clone()),
        )
    }

    /// The allowed connection between two workloads.
    pub fn workload_conn(&self, src: usize, dst: usize) -> ConnSet {
        self.class_conn(self.class_of(src), self.class_of(dst))
    }
}
