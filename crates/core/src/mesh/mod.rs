//! The service mesh: Istio networking and security objects and the Gateway API, read into
//! [`Mesh`] (a field of the cluster model), and the request simulation that walks a
//! request through them.
//!
//! - [`simulate`]: one request (`netplay mesh request`), the [`Outcome`] with its status,
//!   the workloads that receive it and a trace of every step;
//! - [`split`]: the traffic split of a host for sample requests derived from its
//!   VirtualServices (`netplay mesh split`);
//! - [`Outcome::to_text`] and [`Split::to_text`]: the text both front ends print.
//! - [`analyze`]: the offline checks of the mesh configuration (ISTxxxx where the
//!   condition is istioctl's, NP2xxx otherwise), run by `Scenario::analyze`.
//!
//! docs/mesh.md describes the semantics step by step, with the scenarios that pin them
//! down (tests/mesh-scenarios/).

mod analyze;
pub mod edit;
mod gateway_api;
mod host;
mod inject;
pub mod inventory;
pub mod meshconfig;
mod regex;
mod request;
mod routing;
mod security;
mod simulate;
mod split;
pub mod types;

pub use analyze::{check as analyze, ANALYZERS};
pub use inject::{sidecar_injected, Injection};
pub(crate) use inventory::observe;
pub use meshconfig::MeshConfig;
pub use request::{Request, Source};
pub use simulate::{
    reason as status_reason, simulate, Delivery, Outcome, OutcomeShare, Success, TraceStep, NO_EXCHANGE,
};
pub use split::{sample_requests, split, Split, SplitSample};

use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::PathSeg;
use crate::parse::{Document, RawObject};
use serde::de::DeserializeOwned;
use types::*;

/// The Istio root (configuration) namespace: policies here apply mesh-wide.
pub const ROOT_NAMESPACE: &str = "istio-system";

/// The mesh kinds netplay models.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MeshKind {
    VirtualService,
    DestinationRule,
    Gateway,
    ServiceEntry,
    Sidecar,
    AuthorizationPolicy,
    PeerAuthentication,
    HttpRoute,
    K8sGateway,
}

/// What netplay knows of a mesh `(group, kind)`: the kind and its current apiVersion.
pub(crate) fn classify(group: &str, kind: &str) -> Option<(MeshKind, &'static str)> {
    const NET: &str = "networking.istio.io/v1";
    const SEC: &str = "security.istio.io/v1";
    const GW: &str = "gateway.networking.k8s.io/v1";
    Some(match (group, kind) {
        ("networking.istio.io", "VirtualService") => (MeshKind::VirtualService, NET),
        ("networking.istio.io", "DestinationRule") => (MeshKind::DestinationRule, NET),
        ("networking.istio.io", "Gateway") => (MeshKind::Gateway, NET),
        ("networking.istio.io", "ServiceEntry") => (MeshKind::ServiceEntry, NET),
        ("networking.istio.io", "Sidecar") => (MeshKind::Sidecar, NET),
        ("security.istio.io", "AuthorizationPolicy") => (MeshKind::AuthorizationPolicy, SEC),
        ("security.istio.io", "PeerAuthentication") => (MeshKind::PeerAuthentication, SEC),
        ("gateway.networking.k8s.io", "HTTPRoute") => (MeshKind::HttpRoute, GW),
        ("gateway.networking.k8s.io", "Gateway") => (MeshKind::K8sGateway, GW),
        _ => return None,
    })
}

/// Older apiVersions that Istio and the Gateway API still serve with the same schema:
/// they are read without a warning.
pub(crate) fn still_served(api_version: &str) -> bool {
    matches!(
        api_version,
        "networking.istio.io/v1beta1"
            | "networking.istio.io/v1alpha3"
            | "security.istio.io/v1beta1"
            | "gateway.networking.k8s.io/v1beta1"
    )
}

/// Where a mesh object came from: its identity, age and place in the input. Locations of
/// fields inside it are found on demand with [`ObjRef::locate`].
#[derive(Clone, Debug)]
pub struct ObjRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub loc: Location,
    /// `metadata.creationTimestamp`, when the input has one (a dump of a live cluster).
    pub created: Option<String>,
    /// Position in the input (after de-duplication).
    pub order: usize,
    doc: Document,
    prefix: Vec<PathSeg>,
}

impl ObjRef {
    /// The reference to a raw object of the input, shown in `namespace`.
    pub(crate) fn from_raw(obj: &RawObject, namespace: &str, order: usize) -> ObjRef {
        ObjRef {
            kind: obj.kind.clone(),
            namespace: namespace.to_string(),
            name: obj.name.clone(),
            loc: obj.loc.clone(),
            created: obj
                .value
                .get("metadata")
                .and_then(|m| m.get("creationTimestamp"))
                .and_then(|t| t.as_str())
                .map(str::to_string),
            order,
            doc: obj.doc.clone(),
            prefix: obj.prefix.clone(),
        }
    }

    /// The location of a field of the object, e.g. `&[key("spec"), key("http"), idx(1)]`.
    pub fn locate(&self, path: &[PathSeg]) -> Location {
        let mut full = self.prefix.clone();
        full.extend_from_slice(path);
        self.doc.locate(&full)
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// `Kind namespace/name (file:line)`.
    pub fn describe(&self) -> String {
        format!("{} {} ({}:{})", self.kind, self.id(), self.loc.file, self.loc.line)
    }

    /// Age order: objects with a creationTimestamp (oldest first), then those without,
    /// in input order (they would be created when the input is applied, in that order).
    pub fn age_key(&self) -> (bool, &str, usize) {
        (
            self.created.is_none(),
            self.created.as_deref().unwrap_or(""),
            self.order,
        )
    }
}

/// One mesh object: where it is and its spec.
#[derive(Clone, Debug)]
pub struct MeshObject<S> {
    pub meta: ObjRef,
    pub spec: S,
}

/// Every mesh object of the input, each list in input order.
#[derive(Clone, Debug, Default)]
pub struct Mesh {
    pub virtual_services: Vec<MeshObject<VirtualServiceSpec>>,
    pub destination_rules: Vec<MeshObject<DestinationRuleSpec>>,
    pub gateways: Vec<MeshObject<GatewaySpec>>,
    pub service_entries: Vec<MeshObject<ServiceEntrySpec>>,
    pub sidecars: Vec<MeshObject<SidecarSpec>>,
    pub authorization_policies: Vec<MeshObject<AuthorizationPolicySpec>>,
    pub peer_authentications: Vec<MeshObject<PeerAuthenticationSpec>>,
    pub http_routes: Vec<MeshObject<HttpRouteSpec>>,
    pub k8s_gateways: Vec<MeshObject<K8sGatewaySpec>>,
    /// Facts about the other objects of the input that the analyzers read.
    pub inventory: inventory::Inventory,
}

impl Mesh {
    /// Whether the input has any mesh object at all.
    pub fn is_empty(&self) -> bool {
        self.virtual_services.is_empty()
            && self.destination_rules.is_empty()
            && self.gateways.is_empty()
            && self.service_entries.is_empty()
            && self.sidecars.is_empty()
            && self.authorization_policies.is_empty()
            && self.peer_authentications.is_empty()
            && self.http_routes.is_empty()
            && self.k8s_gateways.is_empty()
    }
}

/// A path into an object, for [`ObjRef::locate`].
pub(crate) fn key(k: &str) -> PathSeg {
    PathSeg::key(k)
}

pub(crate) fn idx(i: usize) -> PathSeg {
    PathSeg::Index(i)
}

/// Reads one mesh object into `mesh`. A spec of the wrong shape is an NP0002 error (the
/// object is skipped); unknown fields are NP0009 warnings.
pub(crate) fn read(
    mesh: &mut Mesh,
    kind: MeshKind,
    obj: &RawObject,
    namespace: &str,
    order: usize,
    diags: &mut Vec<Diagnostic>,
) {
    let meta = ObjRef::from_raw(obj, namespace, order);
    fn spec<S: DeserializeOwned + Default>(
        obj: &RawObject,
        meta: ObjRef,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<MeshObject<S>> {
        match crate::read::field::<S>(obj, &["spec"], diags) {
            Ok(spec) => Some(MeshObject {
                meta,
                spec: spec.unwrap_or_default(),
            }),
            Err(d) => {
                diags.push(*d);
                None
            }
        }
    }
    match kind {
        MeshKind::VirtualService => mesh.virtual_services.extend(spec(obj, meta, diags)),
        MeshKind::DestinationRule => mesh.destination_rules.extend(spec(obj, meta, diags)),
        MeshKind::Gateway => mesh.gateways.extend(spec(obj, meta, diags)),
        MeshKind::ServiceEntry => mesh.service_entries.extend(spec(obj, meta, diags)),
        MeshKind::Sidecar => mesh.sidecars.extend(spec(obj, meta, diags)),
        MeshKind::AuthorizationPolicy => mesh.authorization_policies.extend(spec(obj, meta, diags)),
        MeshKind::PeerAuthentication => mesh.peer_authentications.extend(spec(obj, meta, diags)),
        MeshKind::HttpRoute => mesh.http_routes.extend(spec(obj, meta, diags)),
        MeshKind::K8sGateway => mesh.k8s_gateways.extend(spec(obj, meta, diags)),
    }
}

/// Whether `labels` contains every pair of `selector` (an empty selector matches all).
pub(crate) fn labels_match(selector: &StrMap, labels: &crate::model::Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Whether an object with `exportTo` in namespace `own` is visible from `from`.
pub(crate) fn exported_to(export_to: &[String], own: &str, from: &str) -> bool {
    export_to.is_empty()
        || export_to
            .iter()
            .any(|e| e == "*" || e == from || (e == "." && own == from))
}
