//! CNI objects into the model: AddressPlans (wrong types are NP0002, unknown fields
//! NP0009), the CNI configuration objects (Cilium's `cilium-config`, Calico's
//! `calico-config`, `Installation`, `IPPool` and `FelixConfiguration`: values that
//! cannot be read are NP3009 warnings at their line) and what each Service asks of IP
//! families.

use super::fields::field;
use crate::diagnostics::Diagnostic;
use crate::model::cni::{
    AddressPlan, AddressPlanSpec, Cni, CniConfig, CniKind, CniObjects, Datapath, Family, MtuSetting, ServiceFamilies,
    Source, NETPLAY_API_VERSION,
};
use crate::parse::locate::{DisplayPath, PathSeg};
use crate::parse::RawObject;
use ipnet::IpNet;
use serde_json::Value;

/// What this module knows of `(group, kind)`: the kind and its current apiVersion.
pub(crate) fn classify(group: &str, kind: &str) -> Option<(CniKind, &'static str)> {
    Some(match (group, kind) {
        ("netplay.dev", "AddressPlan") => (CniKind::AddressPlan, NETPLAY_API_VERSION),
        ("operator.tigera.io", "Installation") => (CniKind::Installation, "operator.tigera.io/v1"),
        ("projectcalico.org" | "crd.projectcalico.org", "IPPool") => (CniKind::IpPool, "projectcalico.org/v3"),
        ("projectcalico.org" | "crd.projectcalico.org", "FelixConfiguration") => {
            (CniKind::FelixConfiguration, "projectcalico.org/v3")
        }
        _ => return None,
    })
}

/// ConfigMaps are modelled only when they are a CNI's configuration, which is known by
/// name: `cilium-config` and `calico-config`.
pub(crate) fn classify_named(obj: &RawObject) -> Option<CniKind> {
    if obj.api_version != "v1" || obj.kind != "ConfigMap" {
        return None;
    }
    match obj.name.as_str() {
        "cilium-config" => Some(CniKind::CiliumConfig),
        "calico-config" => Some(CniKind::CalicoConfig),
        _ => None,
    }
}

/// apiVersions served with the same schema as the current one.
pub(crate) fn still_served(api_version: &str) -> bool {
    api_version == "crd.projectcalico.org/v1"
}

/// Reads one object of a kind this module knows into `objects`.
pub(crate) fn read(objects: &mut CniObjects, kind: CniKind, obj: &RawObject, diags: &mut Vec<Diagnostic>) {
    match kind {
        CniKind::AddressPlan => match read_plan(obj, diags) {
            Ok(plan) => objects.plans.push(plan),
            Err(d) => diags.push(*d),
        },
        _ => {
            if let Some(config) = read_config(kind, obj, diags) {
                objects.configs.push(config);
            }
        }
    }
}

/// Reads an AddressPlan object. A wrong type is an NP0002 and the plan is skipped;
/// unknown fields are NP0009 warnings.
pub(crate) fn read_plan(obj: &RawObject, diags: &mut Vec<Diagnostic>) -> Result<AddressPlan, Box<Diagnostic>> {
    let spec = field::<AddressPlanSpec>(obj, &["spec"], diags)?.unwrap_or_default();
    Ok(AddressPlan {
        name: obj.name.clone(),
        cluster: spec.cluster.clone().unwrap_or_else(|| obj.name.clone()),
        spec,
        source: Source::of(obj).in_namespace(None),
    })
}

/// Notes what a Service asks of IP families.
pub(crate) fn note_service(
    objects: &mut CniObjects,
    obj: &RawObject,
    namespace: &str,
    spec: Option<&k8s_openapi::api::core::v1::ServiceSpec>,
) {
    let spec = spec.cloned().unwrap_or_default();
    objects.services.push(ServiceFamilies {
        namespace: namespace.to_string(),
        name: obj.name.clone(),
        ip_families: spec.ip_families.unwrap_or_default(),
        ip_family_policy: spec.ip_family_policy,
        service_type: spec.type_.unwrap_or_else(|| "ClusterIP".into()),
        source: Source::of(obj).in_namespace(Some(namespace.to_string())),
    });
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
pub(crate) fn read_config(kind: CniKind, obj: &RawObject, diags: &mut Vec<Diagnostic>) -> Option<CniConfig> {
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
    let mut problems: Problems = Vec::new();
    match kind {
        CniKind::AddressPlan => return None,
        CniKind::CiliumConfig => read_cilium_config(&mut config, v, &mut problems),
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
        CniKind::FelixConfiguration => read_felix(&mut config, v, &mut problems),
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

/// What could not be read: (path, what is wrong), reported at the end as NP3009.
type Problems = Vec<(Vec<PathSeg>, String)>;

/// Cilium's `cilium-config` ConfigMap: cluster-pool CIDRs and mask sizes, the datapath
/// (routing mode, tunnel, encryption) and the MTU.
fn read_cilium_config(config: &mut CniConfig, v: &Value, problems: &mut Problems) {
    let data = |k: &str| get(v, &["data", k]);
    for (family, cidr_key, mask_key) in [
        (Family::V4, "cluster-pool-ipv4-cidr", "cluster-pool-ipv4-mask-size"),
        (Family::V6, "cluster-pool-ipv6-cidr", "cluster-pool-ipv6-mask-size"),
    ] {
        if let Some(list) = text(data(cidr_key)) {
            // Cilium takes a space- or comma-separated list.
            for c in list.split([' ', ',']).filter(|s| !s.is_empty()) {
                add_cidr(config, c, to_path(&["data", cidr_key]), problems);
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

/// Calico's FelixConfiguration: the MTU of each encapsulation (0: Felix detects it) and
/// whether WireGuard is on.
fn read_felix(config: &mut CniConfig, v: &Value, problems: &mut Problems) {
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

fn add_cidr(config: &mut CniConfig, text: &str, path: Vec<PathSeg>, problems: &mut Problems) {
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
    problems: &mut Problems,
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
