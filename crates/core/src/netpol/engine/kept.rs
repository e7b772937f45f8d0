//! An engine kept between evaluations (the playground's, `crate::incremental`): the
//! engine borrows its cluster, and a caller that owns both cannot hold the borrow across
//! calls. [`KeptEngine`] is the engine with the borrow released; [`KeptEngine::resume`]
//! gives it back its cluster.

use super::Engine;
use crate::model::Cluster;
use std::sync::OnceLock;

/// What a kept engine points at while it has no cluster: nothing it answers is used then.
fn no_cluster() -> &'static Cluster {
    static EMPTY: OnceLock<Cluster> = OnceLock::new();
    EMPTY.get_or_init(Cluster::default)
}

/// An evaluated engine without its cluster (see the module documentation).
pub struct KeptEngine(Engine<'static>);

impl Engine<'_> {
    /// Releases the borrow of the cluster, keeping everything computed.
    pub fn keep(self) -> KeptEngine {
        KeptEngine(self.with_cluster(no_cluster()))
    }
}

impl KeptEngine {
    /// The engine again, on `cluster`, which must be (equal to) the cluster it was built
    /// for: its answers are about that cluster's classes and policies. Follow with
    /// [`Engine::update_policy`] to move it to an edited cluster.
    pub fn resume(self, cluster: &Cluster) -> Engine<'_> {
        self.0.with_cluster(cluster)
    }
}
