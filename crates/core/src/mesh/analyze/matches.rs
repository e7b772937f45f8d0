//! VirtualService rules that never match (IST0130) and match blocks that repeat or are
//! covered by an earlier one (IST0131), in http, tcp and tls routes — the conditions of
//! Istio's VirtualService validation, which istioctl reports as these codes:
//! - a rule after a rule without `match` is unreachable, once per match block it has
//!   (`route without matches defined before`), or once when it has none either (`only the
//!   last rule can have no matches`);
//! - a match block equal to one of an earlier rule (ignoring its `name`) is ineffective;
//!   a rule whose every block is such a repeat is unreachable;
//! - an http block with a `uri.prefix` is ineffective when an earlier prefix block (of the
//!   same or an earlier rule) is a prefix of it with the same port, a method, authority,
//!   header, query parameter and withoutHeaders condition that is equal or a prefix of its
//!   own (no method means GET).
//!
//! Rules and blocks are numbered from 1 in messages; the path names the 0-based index.

use super::{ordinal, resource, Ctx};
use crate::diagnostics::Diagnostic;
use crate::mesh::types::{HttpMatch, StringMatch, VirtualServiceSpec};
use crate::mesh::{idx, key, MeshObject};
use std::collections::BTreeMap;

// Never inlined: see `super::check`.
#[inline(never)]
pub(super) fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for vs in &ctx.cluster.mesh.virtual_services {
        unreachable_rules(vs, out);
    }
}

/// A match block without its name, as a comparable key.
fn match_key<T: Clone + std::fmt::Debug>(m: &T, clear: impl Fn(&mut T)) -> String {
    let mut c = m.clone();
    clear(&mut c);
    format!("{c:?}")
}

fn unreachable_rules(vs: &MeshObject<VirtualServiceSpec>, out: &mut Vec<Diagnostic>) {
    let http: Vec<Vec<String>> = vs
        .spec
        .http
        .iter()
        .map(|r| r.matches.iter().map(|m| match_key(m, |c| c.name = None)).collect())
        .collect();
    let names: Vec<Option<&str>> = vs.spec.http.iter().map(|r| r.name.as_deref()).collect();
    rules("http", vs, &http, &names, out);
    prefix_overlaps(vs, out);
    let tcp: Vec<Vec<String>> = vs
        .spec
        .tcp
        .iter()
        .map(|r| r.matches.iter().map(|m| match_key(m, |_| {})).collect())
        .collect();
    rules("tcp", vs, &tcp, &vec![None; tcp.len()], out);
    let tls: Vec<Vec<String>> = vs
        .spec
        .tls
        .iter()
        .map(|r| r.matches.iter().map(|m| match_key(m, |_| {})).collect())
        .collect();
    rules("tls", vs, &tls, &vec![None; tls.len()], out);
}

fn rule_name(list: &str, name: Option<&str>, i: usize) -> String {
    match name {
        Some(n) => format!("{list} rule {n:?} ({} {list} rule)", ordinal(i)),
        None => format!("{} {list} rule", ordinal(i)),
    }
}

/// The duplicate and catch-all checks for one list of rules, each given as its match keys.
fn rules(
    list: &str,
    vs: &MeshObject<VirtualServiceSpec>,
    keys: &[Vec<String>],
    names: &[Option<&str>],
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut catch_all: Option<usize> = None;
    for (i, matches) in keys.iter().enumerate() {
        let name = rule_name(list, names.get(i).copied().flatten(), i);
        let unreachable = |reason: &str, at: Vec<crate::parse::locate::PathSeg>| {
            Diagnostic::new(
                "IST0130",
                format!(
                    "The {name} of the VirtualService is not used ({reason}): rules are tried in order and the first match wins"
                ),
            )
            .at(&vs.meta.locate(&at))
            .resource(resource(&vs.meta))
        };
        if matches.is_empty() {
            if let Some(c) = catch_all {
                out.push(
                    unreachable(
                        "only the last rule can have no matches",
                        vec![key("spec"), key(list), idx(i)],
                    )
                    .help(format!(
                        "give this rule a match, or remove it: the {} rule has no match either and takes every request",
                        ordinal(c)
                    )),
                );
            }
            catch_all = Some(i);
            continue;
        }
        if let Some(c) = catch_all {
            for j in 0..matches.len() {
                out.push(
                    unreachable(
                        "route without matches defined before",
                        vec![key("spec"), key(list), idx(i), key("match"), idx(j)],
                    )
                    .help(format!(
                        "move the {} {list} rule, which has no match and takes every request, to the end",
                        ordinal(c)
                    )),
                );
            }
            continue;
        }
        let mut duplicates = 0;
        for (j, k) in matches.iter().enumerate() {
            match seen.get(k.as_str()) {
                Some(&d) => {
                    duplicates += 1;
                    out.push(
                        Diagnostic::new(
                            "IST0131",
                            format!(
                                "The {} match of the {name} is not used (it duplicates a match of the {})",
                                ordinal(j),
                                rule_name(list, names.get(d).copied().flatten(), d)
                            ),
                        )
                        .at(&vs.meta.locate(&[key("spec"), key(list), idx(i), key("match"), idx(j)]))
                        .resource(resource(&vs.meta))
                        .help("remove the duplicate match block, or change it so that it matches other requests"),
                    );
                }
                None => {
                    seen.insert(k, i);
                }
            }
        }
        if duplicates == matches.len() {
            out.push(
                unreachable("all matches used by prior rules", vec![key("spec"), key(list), idx(i)])
                    .help("remove the rule, or change its matches so that an earlier rule does not take them"),
            );
        }
    }
}

/// A prefix match block, reduced to the fields Istio's overlap validation compares.
struct PrefixBlock {
    rule: usize,
    block: usize,
    prefix: String,
    port: Option<u32>,
    method: String,
    authority: String,
    headers: BTreeMap<String, String>,
    query: BTreeMap<String, String>,
    without: BTreeMap<String, String>,
}

fn exact_or_prefix(m: Option<&StringMatch>) -> String {
    match m {
        Some(StringMatch { exact: Some(e), .. }) if !e.is_empty() => format!("exact:{e}"),
        Some(StringMatch { prefix: Some(p), .. }) if !p.is_empty() => format!("prefix:{p}"),
        _ => String::new(),
    }
}

fn block(rule: usize, block: usize, m: &HttpMatch) -> Option<PrefixBlock> {
    let prefix = m.uri.as_ref()?.prefix.clone().filter(|p| !p.is_empty())?;
    let mut method = exact_or_prefix(m.method.as_ref());
    if method.is_empty() {
        method = "exact:GET".to_string();
    }
    let map = |h: &BTreeMap<String, StringMatch>| {
        h.iter()
            .map(|(k, v)| (k.clone(), exact_or_prefix(Some(v))))
            .collect::<BTreeMap<_, _>>()
    };
    Some(PrefixBlock {
        rule,
        block,
        prefix,
        port: m.port,
        method,
        authority: exact_or_prefix(m.authority.as_ref()),
        headers: map(&m.headers),
        query: map(&m.query_params),
        without: map(&m.without_headers),
    })
}

/// Istio's comparison of a condition of the earlier block (`a`) with the later one's
/// (`b`): equal, or `a` starts with `b` (values carry their `exact:`/`prefix:` kind).
fn covers_value(a: &str, b: &str) -> bool {
    a == b || a.starts_with(b)
}

fn covers_map(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> bool {
    a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|bv| covers_value(v, bv)))
}

/// Istio's `coveredValidation`: the earlier block `a` takes every request of `b`.
fn covered(a: &PrefixBlock, b: &PrefixBlock) -> bool {
    b.prefix.starts_with(&a.prefix)
        && a.port == b.port
        && covers_value(&a.method, &b.method)
        && covers_value(&a.authority, &b.authority)
        && covers_map(&a.headers, &b.headers)
        && covers_map(&a.query, &b.query)
        && covers_map(&a.without, &b.without)
}

/// IST0131 for prefix blocks covered by an earlier prefix block. Blocks of rules after a
/// catch-all rule, and blocks that repeat an earlier one exactly, are left to `rules`.
fn prefix_overlaps(vs: &MeshObject<VirtualServiceSpec>, out: &mut Vec<Diagnostic>) {
    let mut blocks: Vec<PrefixBlock> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, r) in vs.spec.http.iter().enumerate() {
        if r.matches.is_empty() {
            break;
        }
        for (j, m) in r.matches.iter().enumerate() {
            let k = match_key(m, |c| c.name = None);
            if seen.contains(&k) {
                continue;
            }
            seen.push(k);
            blocks.extend(block(i, j, m));
        }
    }
    for (n, b) in blocks.iter().enumerate() {
        for a in &blocks[..n] {
            if a.prefix == b.prefix || !covered(a, b) {
                continue;
            }
            let name = |r: usize| rule_name("http", vs.spec.http.get(r).and_then(|x| x.name.as_deref()), r);
            out.push(
                Diagnostic::new(
                    "IST0131",
                    format!(
                        "The {} match (prefix {}) of the {} is not used (the {} match (prefix {}) of the {} overlaps it and comes first)",
                        ordinal(b.block),
                        b.prefix,
                        name(b.rule),
                        ordinal(a.block),
                        a.prefix,
                        name(a.rule)
                    ),
                )
                .at(&vs.meta.locate(&[key("spec"), key("http"), idx(b.rule), key("match"), idx(b.block)]))
                .resource(resource(&vs.meta))
                .help("put the more specific match (the longer prefix) first, or remove this match"),
            );
        }
    }
}
