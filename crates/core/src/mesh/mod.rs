//! The service mesh: the request simulation that walks a request through the Istio
//! networking and security objects and the Gateway API of the model ([`Mesh`], in
//! `crate::model::mesh`, read by `crate::read::mesh`), and the checks of them.
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
pub(crate) mod regex;
mod request;
mod routing;
mod security;
mod simulate;
mod split;

pub use crate::model::mesh::meshconfig::MeshConfig;
pub use crate::model::mesh::{inventory, meshconfig, types, Mesh, MeshKind, MeshObject, ObjRef, ROOT_NAMESPACE};
pub use analyze::{check as analyze, ANALYZERS};
pub use inject::{sidecar_injected, Injection};
pub use request::{Request, Source};
pub use simulate::{
    reason as status_reason, simulate, Delivery, Outcome, OutcomeShare, Success, TraceStep, NO_EXCHANGE,
};
pub use split::{sample_requests, split, Split, SplitSample};

pub(crate) use crate::model::mesh::{idx, key};

use crate::model::mesh::types::StrMap;

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
