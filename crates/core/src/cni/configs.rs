//! CNI configuration objects read back: the facts an address plan cares about (pod
//! CIDRs, per-node masks, MTUs, the datapath) from Cilium's `cilium-config`, Calico's
//! `calico-config`, `Installation`, `IPPool` and `FelixConfiguration`, and the checks of
//! those facts against the plan (NP3009, NP3006, NP3007).

use super::mtu::{self, Datapath};
use super::plan::{mtu_check, PlanReport};
use super::{AddressPlan, Cni, CniKind, Family, Source};
use crate::diagnostics::Diagnostic;
use crate::parse::locate::{DisplayPath, PathSeg};
use crate::parse::RawObject;
use ipnet::IpNet;
use serde::Serialize;
use serde_json::Value;

/// An MTU a configuration sets, and the datapath it is for (when the field says so).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtuSetting {
    pub value: u32,
    pub datapath: Option<Datapath>,
    pub path: Vec<PathSeg>,
}

/// One CNI configuration object, as far as address planning is concerned.
#[derive(Clone, Debug)]
pub struct CniConfig {
    pub kind: CniKind,
    pub cni: Cni,
    pub source: Source,
    pub pod_cidrs: Vec<(IpNet, Vec<PathSeg>)>,
    pub masks: Vec<(Family, u8, Vec<PathSeg>)>,
    pub mtus: Vec<MtuSetting>,
    /// The datapath the object configures, when it says.
    pub datapath: Option<Datapath>,
}

/// The facts of a configuration object, for printing and for the round-trip test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFacts {
    pub resource: String,
    pub file: String,
    pub line: u32,
    pub cni: Cni,
    pub datapath: Option<Datapath>,
    #[serde(rename = "podCIDRs")]
    pub pod_cidrs: Vec<String>,
    /// `(family, mask)` pairs.
    pub masks: Vec<(Family, u8)>,
    /// `(field, value)` pairs.
    pub mtus: Vec<(String, u32)>,
}

impl CniConfig {
    pub fn facts(&self) -> ConfigFacts {
        ConfigFacts {
            resource: self.source.resource(),
            file: self.source.loc.file.clone(),
            line: self.source.loc.line,
            cni: self.cni,
            datapath: self.datapath,
            pod_cidrs: self.pod_cidrs.iter().map(|(n, _)| n.to_string()).collect(),
            masks: self.masks.iter().map(|(f, m, _)| (*f, *m)).collect(),
            mtus: self
                .mtus
                .iter()
                .map(|m| (DisplayPath(&m.path).to_string(), m.value))
                .collect(),
        }
    }
}

fn key(k: &str) -> PathSeg {
    PathSeg::key(k)
}

/// A number written as a number or a string (ConfigMap values are strings).
fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<&str> {
    v?.as_str()
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn to_path(keys: &[&str]) -> Vec<PathSeg> {
    keys.iter().map(|k| key(k)).collect()
}

/// Reads a configuration object. Values that cannot be read are NP3009 warnings at their
/// line; the object is kept with what could be read.
pub(crate) fn read(kind: CniKind, obj: &RawObject, diags: &mut Vec<Diagnostic>) -> Option<CniConfig> {
    let source = Source::of(obj);
    let mut config = CniConfig {
        kind,
        cni: match kind {
            CniKind::CiliumConfig => Cni::Cilium,
            _ => Cni::Calico,
        },
        source,
        pod_cidrs: Vec::new(),
        masks: Vec::new(),
        mtus: Vec::new(),
        datapath: None,
    };
    let v = &obj.value;
    // What could not be read: (path, what is wrong), reported at the end.
    let mut problems: Vec<(Vec<PathSeg>, String)> = Vec::new();
    match kind {
        CniKind::AddressPlan => return None,
        CniKind::CiliumConfig => {
            let data = |k: &str| get(v, &["data", k]);
            for (family, cidr_key, mask_key) in [
                (Family::V4, "cluster-pool-ipv4-cidr", "cluster-pool-ipv4-mask-size"),
                (Family::V6, "cluster-pool-ipv6-cidr", "cluster-pool-ipv6-mask-size"),
            ] {
                if let Some(list) = text(data(cidr_key)) {
                    // Cilium takes a space- or comma-separated list.
                    for c in list.split([' ', ',']).filter(|s| !s.is_empty()) {
                        add_cidr(&mut config, c, to_path(&["data", cidr_key]), &mut problems);
                    }
                }
                if let Some(m) = number(data(mask_key)) {
                    config
                        .masks
                        .push((family, m.min(255) as u8, to_path(&["data", mask_key])));
                }
            }
            let routing = text(data("routing-mode")).or_else(|| {
                // Before Cilium 1.14 `tunnel: disabled|vxlan|geneve` said both.
                text(data("tunnel")).map(|t| if t == "disabled" { "native" } else { "tunnel" })
            });
            let tunnel = text(data("tunnel-protocol")).or_else(|| text(data("tunnel")).filter(|t| *t != "disabled"));
            config.datapath = if truthy(data("enable-wireguard")) {
                Some(Datapath::Wireguard)
            } else if truthy(data("enable-ipsec")) {
                Some(Datapath::Ipsec)
            } else {
                match routing {
                    Some("native") => Some(Datapath::Direct),
                    Some("tunnel") | None => Some(tunnel.and_then(Datapath::parse).unwrap_or(Datapath::Vxlan)),
                    Some(_) => None,
                }
            };
            if let Some(m) = number(data("mtu")).filter(|&m| m > 0) {
                config.mtus.push(MtuSetting {
                    value: m.min(u64::from(u32::MAX)) as u32,
                    datapath: config.datapath,
                    path: to_path(&["data", "mtu"]),
                });
            } else if data("mtu").is_some_and(|m| number(Some(m)).is_none()) {
                problems.push((to_path(&["data", "mtu"]), "not a number".into()));
            }
        }
        CniKind::CalicoConfig => {
            let path = to_path(&["data", "veth_mtu"]);
            if let Some(m) = get(v, &["data", "veth_mtu"]) {
                match number(Some(m)) {
                    Some(n) if n > 0 => config.mtus.push(MtuSetting {
                        value: n.min(u64::from(u32::MAX)) as u32,
                        datapath: None,
                        path,
                    }),
                    // `veth_mtu: "0"` means: let Calico detect it.
                    Some(_) => {}
                    None => problems.push((path, "not a number".into())),
                }
            }
        }
        CniKind::Installation => {
            let net = ["spec", "calicoNetwork"];
            if let Some(m) = number(get(v, &["spec", "calicoNetwork", "mtu"])) {
                config.mtus.push(MtuSetting {
                    value: m.min(u64::from(u32::MAX)) as u32,
                    datapath: None,
                    path: to_path(&["spec", "calicoNetwork", "mtu"]),
                });
            }
            let pools = get(v, &["spec", "calicoNetwork", "ipPools"]).and_then(Value::as_array);
            for (i, pool) in pools.into_iter().flatten().enumerate() {
                let mut base = to_path(&net);
                base.extend([key("ipPools"), PathSeg::Index(i)]);
                read_pool(&mut config, pool, &base, "encapsulation", &mut problems);
            }
        }
        CniKind::IpPool => {
            let spec = get(v, &["spec"]).cloned().unwrap_or_default();
            read_pool(&mut config, &spec, &to_path(&["spec"]), "", &mut problems);
        }
        CniKind::FelixConfiguration => {
            let fields = [
                ("vxlanMTU", Datapath::Vxlan, Family::V4),
                ("vxlanMTUV6", Datapath::Vxlan, Family::V6),
                ("ipipMTU", Datapath::Ipip, Family::V4),
                ("wireguardMTU", Datapath::Wireguard, Family::V4),
                ("wireguardMTUV6", Datapath::Wireguard, Family::V6),
            ];
            for (field, datapath, _) in fields {
                let Some(raw) = get(v, &["spec", field]) else { continue };
                match number(Some(raw)) {
                    // 0: Felix detects the MTU itself.
                    Some(0) => {}
                    Some(m) => config.mtus.push(MtuSetting {
                        value: m.min(u64::from(u32::MAX)) as u32,
                        datapath: Some(datapath),
                        path: to_path(&["spec", field]),
                    }),
                    None => problems.push((to_path(&["spec", field]), "not a number".into())),
                }
            }
            if truthy(get(v, &["spec", "wireguardEnabled"])) {
                config.datapath = Some(Datapath::Wireguard);
            }
        }
    }
    for (path, what) in problems {
        diags.push(
            Diagnostic::new(
                "NP3009",
                format!(
                    "{}: {what}; it is not checked against the address plan",
                    DisplayPath(&path)
                ),
            )
            .at(&obj.locate(&path))
            .resource(config.source.resource()),
        );
    }
    Some(config)
}

fn add_cidr(config: &mut CniConfig, text: &str, path: Vec<PathSeg>, problems: &mut Vec<(Vec<PathSeg>, String)>) {
    match text.trim().parse::<IpNet>() {
        Ok(net) => config.pod_cidrs.push((net, path)),
        Err(_) => problems.push((path, format!("{text:?} is not a CIDR"))),
    }
}

/// An IPPool spec, or one `ipPools` entry of an Installation (`encapsulation` field).
fn read_pool(
    config: &mut CniConfig,
    pool: &Value,
    base: &[PathSeg],
    encapsulation_field: &str,
    problems: &mut Vec<(Vec<PathSeg>, String)>,
) {
    let at = |k: &str| {
        let mut p = base.to_vec();
        p.push(key(k));
        p
    };
    let Some(text_cidr) = text(pool.get("cidr")) else {
        problems.push((at("cidr"), "missing or not a string".into()));
        return;
    };
    add_cidr(config, text_cidr, at("cidr"), problems);
    let family = match text_cidr.trim().parse::<IpNet>() {
        Ok(n) => Family::of(&n),
        Err(_) => return,
    };
    if let Some(b) = number(pool.get("blockSize")) {
        config.masks.push((family, b.min(255) as u8, at("blockSize")));
    }
    let datapath = if encapsulation_field.is_empty() {
        // IPPool: vxlanMode / ipipMode: Always | CrossSubnet | Never.
        let on = |k: &str| text(pool.get(k)).is_some_and(|m| m != "Never");
        if on("vxlanMode") {
            Datapath::Vxlan
        } else if on("ipipMode") {
            Datapath::Ipip
        } else {
            Datapath::Direct
        }
    } else {
        match text(pool.get(encapsulation_field)) {
            Some("VXLAN" | "VXLANCrossSubnet") => Datapath::Vxlan,
            Some("IPIP" | "IPIPCrossSubnet") => Datapath::Ipip,
            Some("None") => Datapath::Direct,
            // The operator's default encapsulation is IPIP.
            None => Datapath::Ipip,
            Some(other) => {
                problems.push((at(encapsulation_field), format!("unknown encapsulation {other:?}")));
                return;
            }
        }
    };
    // WireGuard (from FelixConfiguration) wraps whatever the pool does.
    if config.datapath != Some(Datapath::Wireguard) {
        config.datapath = Some(datapath);
    }
}

/// Checks configuration objects against the address plan: pod CIDRs outside the plan's,
/// per-node masks that differ (NP3009), the datapath of the plan's own CNI (NP3009), and
/// every MTU against the pod MTU of its datapath over the plan's underlay (NP3006,
/// NP3007). With several plans, configurations are checked against the first one.
pub fn check(configs: &[CniConfig], plans: &[AddressPlan], reports: &[PlanReport]) -> Vec<Diagnostic> {
    let (Some(plan), Some(report)) = (plans.first(), reports.first()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in configs {
        let resource = c.source.resource();
        let mut push =
            |d: Diagnostic, path: &[PathSeg]| out.push(d.at(&c.source.locate(path)).resource(resource.clone()));
        for (net, path) in &c.pod_cidrs {
            let inside = report
                .families
                .iter()
                .any(|f| f.pod_cidr.contains(&net.network()) && f.pod_cidr.prefix_len() <= net.prefix_len());
            if !inside {
                push(
                    Diagnostic::new(
                        "NP3009",
                        format!(
                            "{}: pod range {net} is not inside a pod CIDR of the address plan {} ({})",
                            DisplayPath(path),
                            plan.name,
                            plan.spec.pod_cidrs.join(", ")
                        ),
                    ),
                    path,
                );
            }
        }
        // A Calico block and a Cilium node range are different things: compare a mask only
        // with a plan for the same CNI.
        for (family, mask, path) in c.masks.iter().filter(|_| c.cni == report.cni) {
            if let Some(f) = report.families.iter().find(|f| f.family == *family) {
                if f.node_mask != *mask {
                    push(
                        Diagnostic::new(
                            "NP3009",
                            format!(
                                "{}: per-node mask /{mask} differs from the address plan's /{} for {family}",
                                DisplayPath(path),
                                f.node_mask
                            ),
                        ),
                        path,
                    );
                }
            }
        }
        if c.cni == report.cni {
            // WireGuard rides on a pool that routes natively.
            let wireguard_pool = report.datapath == Datapath::Wireguard && c.datapath == Some(Datapath::Direct);
            if let Some(d) = c.datapath.filter(|d| *d != report.datapath && !wireguard_pool) {
                push(
                    Diagnostic::new(
                        "NP3009",
                        format!(
                            "{} configures the {d} datapath but the address plan {} says {}",
                            c.source.kind, plan.name, report.datapath
                        ),
                    ),
                    &[],
                );
            }
        }
        let underlay: Vec<Family> = report.mtu.families.iter().map(|f| f.family).collect();
        for m in &c.mtus {
            let datapath = m.datapath.or(c.datapath).unwrap_or(report.datapath);
            let expected = mtu::compute(report.mtu.underlay_mtu, datapath, &underlay);
            if let Some(d) = mtu_check(m.value, &expected, &DisplayPath(&m.path).to_string()) {
                push(d, &m.path);
            }
        }
    }
    out
}
