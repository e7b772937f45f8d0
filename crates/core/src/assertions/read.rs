//! Reading assertions from YAML values, with a diagnostic at the line of every mistake.

use super::{Assertion, Check, EndpointSpec, MeshExpect, Suite};
use crate::conn::{ConnSet, Protocol};
use crate::diagnostics::{Checked, Diagnostic, Location};
use crate::endpoint::AddrRange;
use crate::parse::locate::PathSeg;
use crate::parse::{Document, RawObject};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Finds a line for a path inside the value being read.
type Locate<'a> = &'a dyn Fn(&[PathSeg]) -> Location;

/// Reads every `netplay.dev` `Assertions` object of `raw` into a suite. Items that
/// cannot be read are reported (NP6001, NP6002) and left out; the others still run.
pub fn read(raw: &[RawObject]) -> Checked<Vec<Suite>> {
    let mut suites = Vec::new();
    let mut diags = Vec::new();
    for obj in raw.iter().filter(|o| crate::model::is_assertions(o.group(), &o.kind)) {
        let locate = |p: &[PathSeg]| obj.locate(p);
        let mut r = Reader {
            locate: &locate,
            resource: format!("Assertions {}", obj.name),
            diags: &mut diags,
        };
        if let Some(map) = obj.value.as_object() {
            for k in map.keys() {
                if !["apiVersion", "kind", "metadata", "assertions"].contains(&k.as_str()) {
                    r.unknown(
                        &[PathSeg::key(k)],
                        k,
                        "an Assertions document has `metadata` and `assertions`",
                    );
                }
            }
        }
        let list = obj.value.get("assertions");
        let items = match list.and_then(Value::as_array) {
            Some(items) if !items.is_empty() => items.as_slice(),
            _ => {
                let at = if list.is_some() {
                    vec![PathSeg::key("assertions")]
                } else {
                    Vec::new()
                };
                r.error(
                    &at,
                    "an Assertions document needs a non-empty list `assertions`",
                    "add `assertions:` with items like `- {from: frontend/web, to: backend/api, expect: allowed}`",
                );
                continue;
            }
        };
        let assertions = r.items(items, &[PathSeg::key("assertions")]);
        suites.push(Suite {
            name: obj.name.clone(),
            loc: obj.loc.clone(),
            assertions,
        });
    }
    Checked::new(suites, diags)
}

/// Reads a block of YAML text holding a list of assertions (or a whole `Assertions`
/// document) that starts at 0-based line `start_line` of `file`: a lesson's check block.
/// `None` when nothing could be read.
pub fn read_list(file: &str, start_line: usize, text: &str, name: &str) -> (Option<Suite>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let doc = Document {
        file: Arc::from(file),
        start_line,
        text: Arc::from(text),
    };
    let value: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = crate::parse::yaml_error_position(text, &e).0;
            let loc = Location::new(file, (start_line + line) as u32, 1);
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg);
            diags.push(Diagnostic::new("NP0001", format!("YAML syntax error: {msg}")).at(&loc));
            return (None, diags);
        }
    };
    let (items, prefix) = match &value {
        Value::Array(items) => (items.as_slice(), Vec::new()),
        Value::Object(map) if map.contains_key("assertions") => match map.get("assertions").and_then(Value::as_array) {
            Some(items) => (items.as_slice(), vec![PathSeg::key("assertions")]),
            None => (&[][..], Vec::new()),
        },
        _ => (&[][..], Vec::new()),
    };
    let locate = |p: &[PathSeg]| doc.locate(p);
    let mut r = Reader {
        locate: &locate,
        resource: format!("checks of {name:?}"),
        diags: &mut diags,
    };
    if items.is_empty() {
        r.error(
            &[],
            "a check block needs a non-empty list of assertions",
            "write items like `- {from: frontend/web, to: backend/api, expect: allowed}`",
        );
        return (None, diags);
    }
    let assertions = r.items(items, &prefix);
    let suite = Suite {
        name: name.to_string(),
        loc: doc.locate(&[]),
        assertions,
    };
    (Some(suite), diags)
}

struct Reader<'a> {
    locate: Locate<'a>,
    resource: String,
    diags: &'a mut Vec<Diagnostic>,
}

/// A mistake in one item: where and what.
struct Problem {
    path: Vec<PathSeg>,
    message: String,
    help: Option<String>,
}

type Read<T> = Result<T, Problem>;

fn problem(path: &[PathSeg], message: impl Into<String>) -> Problem {
    Problem {
        path: path.to_vec(),
        message: message.into(),
        help: None,
    }
}

fn with(path: &[PathSeg], seg: PathSeg) -> Vec<PathSeg> {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

impl Reader<'_> {
    fn error(&mut self, path: &[PathSeg], message: &str, help: &str) {
        self.diags.push(
            Diagnostic::new("NP6001", message)
                .at(&(self.locate)(path))
                .resource(self.resource.clone())
                .help(help),
        );
    }

    fn unknown(&mut self, path: &[PathSeg], field: &str, expected: &str) {
        self.diags.push(
            Diagnostic::new(
                "NP6002",
                format!("unknown field `{field}` in an assertion; it is ignored"),
            )
            .at(&(self.locate)(path))
            .resource(self.resource.clone())
            .help(expected.to_string()),
        );
    }

    fn items(&mut self, items: &[Value], prefix: &[PathSeg]) -> Vec<Assertion> {
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = with(prefix, PathSeg::Index(i));
            match self.item(item, &path) {
                Ok(a) => out.push(a),
                Err(p) => {
                    let mut d = Diagnostic::new("NP6001", format!("assertion {} is not run: {}", i + 1, p.message))
                        .at(&(self.locate)(&p.path))
                        .resource(self.resource.clone());
                    if let Some(h) = p.help {
                        d = d.help(h);
                    }
                    self.diags.push(d);
                }
            }
        }
        out
    }

    fn item(&mut self, item: &Value, path: &[PathSeg]) -> Read<Assertion> {
        let Some(map) = item.as_object() else {
            return Err(problem(
                path,
                "an assertion is a mapping with `from`, `to` and `expect`",
            ));
        };
        const FIELDS: [&str; 7] = ["name", "from", "to", "port", "expect", "only", "mesh"];
        for k in map.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            self.unknown(
                &with(path, PathSeg::key(k)),
                k,
                &format!("an assertion has {}", FIELDS.join(", ")),
            );
        }
        let name = match map.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(problem(&with(path, PathSeg::key("name")), "`name` is a string")),
        };
        let loc = (self.locate)(path);
        let check = if let Some(mesh) = map.get("mesh") {
            for k in ["from", "to", "port", "only"] {
                if map.contains_key(k) {
                    return Err(problem(
                        &with(path, PathSeg::key(k)),
                        format!("`{k}` does not go with `mesh`: the request says who sends it and where"),
                    ));
                }
            }
            self.mesh(mesh, map.get("expect"), path)?
        } else if let Some(only) = map.get("only") {
            if map.contains_key("expect") {
                return Err(problem(
                    &with(path, PathSeg::key("expect")),
                    "`only` needs no `expect`: every connection outside it fails the assertion",
                ));
            }
            self.only(map, only, path)?
        } else {
            self.connection(map, path)?
        };
        let name = name.unwrap_or_else(|| describe_check(&check));
        Ok(Assertion { name, loc, check })
    }

    fn connection(&mut self, map: &serde_json::Map<String, Value>, path: &[PathSeg]) -> Read<Check> {
        let from = endpoints(map.get("from"), &with(path, PathSeg::key("from")), "from")?;
        let to = endpoints(map.get("to"), &with(path, PathSeg::key("to")), "to")?;
        if to.contains(&EndpointSpec::IngressController) {
            return Err(problem(
                &with(path, PathSeg::key("to")),
                "{ingress-controller} is only a source: it is the traffic Ingress objects admit",
            ));
        }
        let external = |s: &[EndpointSpec]| s.iter().all(|e| matches!(e, EndpointSpec::External(_)));
        if external(&from) && external(&to) {
            return Err(problem(
                path,
                "both ends are outside the cluster: nothing in the input decides that",
            ));
        }
        let port = match map.get("port") {
            None | Some(Value::Null) => None,
            Some(v) => Some(probe(v, &with(path, PathSeg::key("port")))?),
        };
        let expect_path = with(path, PathSeg::key("expect"));
        let allowed = match map.get("expect").map(scalar_text) {
            Some(Some(s)) if s == "allowed" => true,
            Some(Some(s)) if s == "denied" => false,
            None => {
                return Err(Problem {
                    help: Some("add `expect: allowed` or `expect: denied`".into()),
                    ..problem(path, "`expect` is missing")
                })
            }
            _ => {
                return Err(Problem {
                    help: Some("a connection is `allowed` or `denied`; a mesh request expects `{status: 200}`".into()),
                    ..problem(&expect_path, "`expect` must be `allowed` or `denied`")
                })
            }
        };
        Ok(Check::Connection {
            from,
            to,
            port,
            allowed,
        })
    }

    fn only(&mut self, map: &serde_json::Map<String, Value>, only: &Value, path: &[PathSeg]) -> Read<Check> {
        let only_path = with(path, PathSeg::key("only"));
        let Some(o) = only.as_object() else {
            return Err(problem(
                &only_path,
                "`only` is a mapping: `{from: ..., port: ...}` or `{to: ...}`",
            ));
        };
        for k in o.keys().filter(|k| !["from", "to", "port"].contains(&k.as_str())) {
            self.unknown(
                &with(&only_path, PathSeg::key(k)),
                k,
                "`only` has `from` or `to`, and `port`",
            );
        }
        let inbound = match (map.contains_key("to"), map.contains_key("from")) {
            (true, false) => true,
            (false, true) => false,
            _ => {
                return Err(problem(
                    path,
                    "write either `to: X` with `only: {from: ...}` (who may reach X) or `from: X` with `only: {to: ...}` (what X may reach)",
                ))
            }
        };
        let (own, other) = if inbound { ("to", "from") } else { ("from", "to") };
        if map.contains_key("port") {
            return Err(problem(
                &with(path, PathSeg::key("port")),
                "with `only`, the port goes inside it: `only: {from: ..., port: 5432/TCP}`",
            ));
        }
        let subject = endpoints(map.get(own), &with(path, PathSeg::key(own)), own)?;
        if o.contains_key(own) || !o.contains_key(other) {
            return Err(problem(
                &only_path,
                format!("`{own}: ...` with `only` needs `only: {{{other}: ...}}`"),
            ));
        }
        if !inbound && subject.contains(&EndpointSpec::IngressController) {
            return Err(problem(
                &with(path, PathSeg::key("from")),
                "{ingress-controller} is only a source",
            ));
        }
        // `only: {from: []}`: nothing at all may connect.
        let peers = match o.get(other) {
            Some(Value::Array(a)) if a.is_empty() => Vec::new(),
            v => endpoints(v, &with(&only_path, PathSeg::key(other)), other)?,
        };
        let ports = match o.get("port") {
            None | Some(Value::Null) => None,
            Some(v) => Some(port_set(v, &with(&only_path, PathSeg::key("port")))?),
        };
        Ok(Check::Only {
            subject,
            inbound,
            peers,
            ports,
        })
    }

    fn mesh(&mut self, mesh: &Value, expect: Option<&Value>, path: &[PathSeg]) -> Read<Check> {
        let mesh_path = with(path, PathSeg::key("mesh"));
        let Some(m) = mesh.as_object() else {
            return Err(problem(
                &mesh_path,
                "`mesh` is a mapping with `from`, `request` and optional `headers`",
            ));
        };
        for k in m
            .keys()
            .filter(|k| !["from", "request", "headers"].contains(&k.as_str()))
        {
            self.unknown(
                &with(&mesh_path, PathSeg::key(k)),
                k,
                "`mesh` has `from`, `request` and `headers`",
            );
        }
        let text = |k: &str| -> Read<String> {
            match m.get(k).and_then(scalar_text) {
                Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                _ => Err(problem(
                    &with(&mesh_path, PathSeg::key(k)),
                    format!("`mesh.{k}` is missing or not a string"),
                )),
            }
        };
        let from = text("from")?;
        let request = text("request")?;
        let request_path = with(&mesh_path, PathSeg::key("request"));
        let (method, url) = match request.split_once(char::is_whitespace) {
            Some((m, rest)) if m.bytes().all(|b| b.is_ascii_uppercase()) => (m.to_string(), rest.trim().to_string()),
            _ => ("GET".to_string(), request.clone()),
        };
        if !url.contains("://") || url.contains(char::is_whitespace) {
            return Err(Problem {
                help: Some("write `GET http://api.backend/path`, `http://host:port/path` or `tcp://host:port`".into()),
                ..problem(&request_path, format!("cannot read the request {request:?}"))
            });
        }
        let mut headers = Vec::new();
        match m.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(h)) => {
                for (k, v) in h {
                    let Some(v) = scalar_text(v) else {
                        return Err(problem(
                            &with(&with(&mesh_path, PathSeg::key("headers")), PathSeg::key(k)),
                            format!("header {k:?} needs a single value"),
                        ));
                    };
                    headers.push((k.to_ascii_lowercase(), v));
                }
            }
            Some(_) => {
                return Err(problem(
                    &with(&mesh_path, PathSeg::key("headers")),
                    "`headers` is a mapping like `{x-canary: \"true\"}`",
                ))
            }
        }
        let expect = self.mesh_expect(expect, path)?;
        Ok(Check::Mesh {
            from,
            method,
            url,
            headers,
            expect,
        })
    }

    fn mesh_expect(&mut self, expect: Option<&Value>, path: &[PathSeg]) -> Read<MeshExpect> {
        let ep = with(path, PathSeg::key("expect"));
        let Some(e) = expect.and_then(Value::as_object) else {
            return Err(Problem {
                help: Some("e.g. `expect: {status: 200, destination: backend/api-v2}`".into()),
                ..problem(
                    if expect.is_some() { &ep } else { path },
                    "a mesh assertion needs `expect` with `status`, `destination` or `shares`",
                )
            });
        };
        for k in e
            .keys()
            .filter(|k| !["status", "destination", "shares"].contains(&k.as_str()))
        {
            self.unknown(
                &with(&ep, PathSeg::key(k)),
                k,
                "a mesh `expect` has `status`, `destination` and `shares`",
            );
        }
        let mut out = MeshExpect::default();
        if let Some(s) = e.get("status") {
            // 0 is mesh::NO_EXCHANGE: the host does not resolve, nothing answers.
            match s
                .as_u64()
                .filter(|n| *n == u64::from(crate::mesh::NO_EXCHANGE) || (100..=599).contains(n))
            {
                Some(n) => out.status = Some(n as u16),
                None => {
                    return Err(problem(
                        &with(&ep, PathSeg::key("status")),
                        "`status` is an HTTP status, 100 to 599, or 0 when no HTTP exchange happens (the host does not resolve)",
                    ))
                }
            }
        }
        if let Some(d) = e.get("destination") {
            match d.as_str().filter(|s| !s.trim().is_empty()) {
                Some(s) => out.destination = Some(s.trim().to_string()),
                None => {
                    return Err(problem(
                        &with(&ep, PathSeg::key("destination")),
                        "`destination` is a workload name",
                    ))
                }
            }
        }
        if let Some(s) = e.get("shares") {
            let sp = with(&ep, PathSeg::key("shares"));
            let Some(map) = s.as_object().filter(|m| !m.is_empty()) else {
                return Err(problem(
                    &sp,
                    "`shares` maps workloads to their share, e.g. `{backend/api-v1: 90%, backend/api-v2: 10%}`",
                ));
            };
            let mut shares = BTreeMap::new();
            for (w, v) in map {
                let Some(share) = share(v) else {
                    return Err(problem(
                        &with(&sp, PathSeg::key(w)),
                        format!("the share of {w} is a number from 0 to 1 or a percentage like 90%"),
                    ));
                };
                shares.insert(w.clone(), share);
            }
            out.shares = Some(shares);
        }
        if out == MeshExpect::default() {
            return Err(problem(&ep, "`expect` names none of `status`, `destination`, `shares`"));
        }
        Ok(out)
    }
}

/// A string, number or boolean as text (YAML reads `true` and `8080` as non-strings).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `0.9`, `90%` or `"90%"`.
fn share(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => {
            let s = s.trim();
            match s.strip_suffix('%') {
                Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
                None => s.parse().ok()?,
            }
        }
        _ => return None,
    };
    (0.0..=1.0).contains(&n).then_some(n)
}

fn probe(v: &Value, path: &[PathSeg]) -> Read<(Protocol, u16)> {
    let text = scalar_text(v).unwrap_or_default();
    crate::parse_probe(&text).map_err(|e| Problem {
        help: Some("write a port like `8080/TCP`, `53/UDP` or `8080`".into()),
        ..problem(path, e)
    })
}

/// `5432/TCP`, `8000-8999/TCP`, or a list of them.
fn port_set(v: &Value, path: &[PathSeg]) -> Read<ConnSet> {
    let items: Vec<(Vec<PathSeg>, &Value)> = match v {
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, x)| (with(path, PathSeg::Index(i)), x))
            .collect(),
        Value::Array(_) => return Err(problem(path, "`port` is an empty list")),
        _ => vec![(path.to_vec(), v)],
    };
    let mut set = ConnSet::none();
    for (p, item) in items {
        let text = scalar_text(item).unwrap_or_default();
        let (ports, proto) = text.split_once('/').unwrap_or((&text, "TCP"));
        let bad = || Problem {
            help: Some("write `5432/TCP`, `53/UDP`, `8000-8999/TCP` or a list of them".into()),
            ..problem(&p, format!("cannot read port {text:?}"))
        };
        let protocol = Protocol::parse(&proto.trim().to_ascii_uppercase()).ok_or_else(bad)?;
        let number = |s: &str| s.trim().parse::<u16>().ok().filter(|&n| n > 0);
        let (lo, hi) = match ports.split_once('-') {
            Some((a, b)) => (number(a).ok_or_else(bad)?, number(b).ok_or_else(bad)?),
            None => {
                let n = number(ports).ok_or_else(bad)?;
                (n, n)
            }
        };
        if lo > hi {
            return Err(bad());
        }
        set.union_with(&ConnSet::port_range(protocol, lo, hi));
    }
    Ok(set)
}

/// One side of an assertion: a string, a selector mapping, or a list of them.
fn endpoints(v: Option<&Value>, path: &[PathSeg], field: &str) -> Read<Vec<EndpointSpec>> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Err(Problem {
            help: Some(format!(
                "write `{field}: namespace/name`, `{field}: {{namespace: ns}}`, `{field}: external:203.0.113.0/24` or `{field}: \"{{ingress-controller}}\"`"
            )),
            ..problem(&path[..path.len().saturating_sub(1)], format!("`{field}` is missing"))
        });
    };
    match v {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, x)| endpoint(x, &with(path, PathSeg::Index(i))))
            .collect(),
        _ => Ok(vec![endpoint(v, path)?]),
    }
}

fn endpoint(v: &Value, path: &[PathSeg]) -> Read<EndpointSpec> {
    match v {
        Value::String(s) => endpoint_text(s.trim(), path),
        Value::Object(map) => {
            for k in map.keys() {
                if k == "ingress-controller" {
                    // `{ingress-controller}` unquoted is a YAML flow mapping.
                    return Ok(EndpointSpec::IngressController);
                }
                if k != "namespace" && k != "labels" {
                    return Err(problem(
                        &with(path, PathSeg::key(k)),
                        format!("a selector has `namespace` and `labels`, not `{k}`"),
                    ));
                }
            }
            let namespace = match map.get("namespace") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(problem(&with(path, PathSeg::key("namespace")), "`namespace` is a name")),
            };
            let mut labels = BTreeMap::new();
            match map.get("labels") {
                None | Some(Value::Null) => {}
                Some(Value::Object(l)) => {
                    for (k, v) in l {
                        let Some(v) = scalar_text(v) else {
                            return Err(problem(
                                &with(&with(path, PathSeg::key("labels")), PathSeg::key(k)),
                                "a label value is a string",
                            ));
                        };
                        labels.insert(k.clone(), v);
                    }
                }
                Some(_) => {
                    return Err(problem(
                        &with(path, PathSeg::key("labels")),
                        "`labels` is a mapping like `{app: db}`",
                    ))
                }
            }
            if namespace.is_none() && labels.is_empty() {
                return Err(problem(path, "an empty selector: give `namespace`, `labels` or both"));
            }
            Ok(EndpointSpec::Select { namespace, labels })
        }
        _ => Err(problem(
            path,
            "an endpoint is a name (`ns/name`), a selector or `external:CIDR`",
        )),
    }
}

fn endpoint_text(s: &str, path: &[PathSeg]) -> Read<EndpointSpec> {
    if s == crate::netpol::ingress_controller::INGRESS_CONTROLLER || s == "ingress-controller" {
        return Ok(EndpointSpec::IngressController);
    }
    if s == "external" {
        return Ok(EndpointSpec::External(vec![AddrRange::ALL_V4, AddrRange::ALL_V6]));
    }
    if let Some(cidr) = s.strip_prefix("external:") {
        let cidr = cidr.trim();
        let net = cidr
            .parse::<ipnet::IpNet>()
            .or_else(|_| cidr.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| Problem {
                help: Some("write `external:203.0.113.0/24` or `external:198.51.100.7`".into()),
                ..problem(path, format!("{cidr:?} is not a CIDR or an IP address"))
            })?;
        return Ok(EndpointSpec::External(vec![range_of(&net.trunc())]));
    }
    if s.is_empty() {
        return Err(problem(path, "an empty name"));
    }
    if s.contains('*') {
        return Ok(EndpointSpec::Pattern(s.to_string()));
    }
    Ok(EndpointSpec::Workload(s.to_string()))
}

/// The addresses of a network, as a range.
pub(crate) fn range_of(net: &ipnet::IpNet) -> AddrRange {
    match net {
        ipnet::IpNet::V4(n) => AddrRange::V4(u32::from(n.network()), u32::from(n.broadcast())),
        ipnet::IpNet::V6(n) => AddrRange::V6(u128::from(n.network()), u128::from(n.broadcast())),
    }
}

/// The description of an assertion without a name.
fn describe_check(check: &Check) -> String {
    use super::describe;
    match check {
        Check::Connection {
            from,
            to,
            port,
            allowed,
        } => {
            let port = port.map(|(p, n)| format!(" on {n}/{p}")).unwrap_or_default();
            let verdict = if *allowed { "allowed" } else { "denied" };
            format!("{} => {}{port} is {verdict}", describe(from), describe(to))
        }
        Check::Only {
            subject,
            inbound,
            peers,
            ports,
        } => {
            let ports = ports.as_ref().map(|p| format!(" on {p}")).unwrap_or_default();
            if *inbound {
                format!("{} is reached only by {}{ports}", describe(subject), describe(peers))
            } else {
                format!("{} reaches only {}{ports}", describe(subject), describe(peers))
            }
        }
        Check::Mesh {
            from,
            method,
            url,
            expect,
            ..
        } => {
            let mut want = Vec::new();
            if let Some(s) = expect.status {
                want.push(format!("status {s}"));
            }
            if let Some(d) = &expect.destination {
                want.push(format!("at {d}"));
            }
            if let Some(s) = &expect.shares {
                let parts: Vec<String> = s.iter().map(|(w, v)| format!("{w} {}%", (v * 100.0).round())).collect();
                want.push(format!("split {}", parts.join(" / ")));
            }
            format!("{method} {url} from {from} gives {}", want.join(", "))
        }
    }
}
