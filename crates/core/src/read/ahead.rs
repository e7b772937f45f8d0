//! What reading an object finds that depends on the object alone: its role, the API
//! server's refusal of its names and labels (NP0023), and the typed read of the kinds
//! every cluster has many of (a Pod's or workload's pod template, a NetworkPolicy
//! compiled). [`read_ahead`] finds it for every object at once — in parallel natively
//! ([`crate::parse::parallel`]) — and the builder then takes the objects in input order,
//! so the model and the diagnostics, in their order, are those of reading one object
//! after another (`crates/core/tests/reading.rs` compares them at 1, 2 and 8 threads).

use super::netpol::read_and_compile;
use super::owners::PodInfo;
use super::pod::pod_info;
use super::{classify, cni, finished_phase, mesh, names, Known};
use crate::diagnostics::Diagnostic;
use crate::model::mesh::inventory::Inventory;
use crate::parse::RawObject;
use crate::policy::Policy;

/// One object read ahead.
pub(super) struct Ahead {
    /// The role and the current apiVersion of the kind, `None` for a kind netplay does not read.
    pub known: Option<(Known, &'static str)>,
    /// Why the API server refuses the object's names or labels; empty when it accepts them.
    pub refused: Vec<Diagnostic>,
    pub typed: Typed,
    /// What the mesh analyzers need of it ([`mesh::observe`] into an inventory of its
    /// own), unless it changes the mesh configuration ([`mesh::observed_alone`]).
    pub observed: Option<Inventory>,
}

/// A typed read with the diagnostics it wrote on the way, in their order, for the builder
/// to add where reading one object after another would have.
pub(super) enum Typed {
    /// Read by the builder itself.
    Later,
    /// [`pod_info`] of a Pod (not finished) or a workload.
    Pod(Vec<Diagnostic>, Result<Option<PodInfo>, Box<Diagnostic>>),
    /// A NetworkPolicy's `spec` compiled: the read's diagnostics, then the policy and the
    /// compiler's, or why `spec` could not be read.
    NetworkPolicy(Vec<Diagnostic>, Result<CompiledPolicy, Box<Diagnostic>>),
}

pub(super) type CompiledPolicy = (Option<Policy>, Vec<Diagnostic>);

/// The role of an object of any kind.
pub(super) fn known(obj: &RawObject) -> Option<(Known, &'static str)> {
    classify(obj.group(), &obj.kind).or_else(|| cni::classify_named(obj).map(|k| (Known::Cni(k), "v1")))
}

/// Every object of `raw` read ahead, in the order of `raw`, in parallel.
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn read_ahead(raw: &[RawObject]) -> Vec<Ahead> {
    crate::parse::parallel::map_in_order(raw.iter().enumerate().collect(), None::<&mut ()>, |(order, obj), _| {
        one(obj, order)
    })
}

/// `obj`, the `order`-th object of the input. In the WASM build, which reads on one
/// thread, only its role and NP0023s: the builder reads the rest itself, and the
/// download does not carry a second way of doing it.
#[inline(never)] // see `super::build`
pub(super) fn one(obj: &RawObject, order: usize) -> Ahead {
    let native = cfg!(not(target_arch = "wasm32"));
    let observed = (native && mesh::observed_alone(obj)).then(|| {
        let mut alone = Inventory::default();
        mesh::observe(&mut alone, obj, order);
        alone
    });
    let known = known(obj);
    let Some((role, _)) = known else {
        return Ahead {
            known,
            refused: Vec::new(),
            typed: Typed::Later,
            observed,
        };
    };
    // An object whose name, labels or port names the API server refuses never exists in
    // a cluster: the builder reports it and leaves it out, as `kubectl apply` does.
    let refused = match role {
        Known::MultiCluster => Vec::new(),
        Known::Namespace => names::check_object(obj, names::NameRule::Dns1123Label),
        Known::Service => names::check_object(obj, names::NameRule::Dns1035Label),
        _ => names::check_object(obj, names::NameRule::Dns1123Subdomain),
    };
    let typed = if !native || !refused.is_empty() {
        Typed::Later
    } else {
        match role {
            Known::Pod if finished_phase(obj).is_some() => Typed::Later,
            Known::Pod | Known::Workload => {
                let mut diags = Vec::new();
                let info = pod_info(obj, &mut diags);
                Typed::Pod(diags, info)
            }
            Known::NetworkPolicy => {
                let namespace = obj.namespace.as_deref().unwrap_or("default");
                let mut diags = Vec::new();
                let compiled = read_and_compile(obj, namespace, &mut diags);
                Typed::NetworkPolicy(diags, compiled)
            }
            _ => Typed::Later,
        }
    };
    Ahead {
        known,
        refused,
        typed,
        observed,
    }
}
