//! The service mesh's vocabulary: Istio networking and security objects and the Gateway
//! API as written ([`types`]), each with where it is ([`ObjRef`]), gathered in [`Mesh`] (a
//! field of the cluster model), and what the analyzers need from the other objects of
//! the input ([`inventory`]). `read::mesh` fills them; `crate::mesh` simulates and checks.

pub mod inventory;
pub mod meshconfig;
pub mod types;

use crate::diagnostics::Location;
use crate::parse::locate::PathSeg;
use crate::parse::{Document, RawObject};
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
