//! `netplay dump -o DIR`: the objects netplay reads from a live cluster, written as a
//! snapshot folder that every command reads offline (`netplay connlist DIR` gives what
//! `netplay connlist --context C` gave), e.g. for a bug report or a workshop.
//!
//! One file per kind, `RESOURCE.json` (`pods.json`, `networkpolicies.networking.k8s.io.json`),
//! each exactly the text live reading hands to core; and `README.md`, saying where the
//! snapshot comes from and what it lacks. Secrets are never read, so never written.

use crate::live::Snapshot;
use std::path::Path;

/// Writes the snapshot of the cluster into `dir` (created; it must be new or empty, so a
/// snapshot never mixes with the files of another).
pub fn run(kubeconfig: Option<&Path>, context: Option<&str>, dir: &Path) -> Result<u8, String> {
    if dir.exists() {
        let has_entries = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: cannot read: {e}", dir.display()))?
            .next()
            .is_some();
        if has_entries {
            return Err(format!(
                "{}: the directory is not empty; a snapshot goes into a new or empty directory",
                dir.display()
            ));
        }
    }
    let snapshot = crate::live::read(kubeconfig, context)?;
    snapshot.report();
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let mut kinds = 0;
    for list in snapshot.lists.iter().filter(|l| !l.items.is_empty()) {
        let path = dir.join(format!("{}.json", list.resource));
        std::fs::write(&path, list.text()).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        kinds += 1;
    }
    let readme = dir.join("README.md");
    std::fs::write(&readme, readme_text(&snapshot)).map_err(|e| format!("{}: cannot write: {e}", readme.display()))?;
    eprintln!(
        "netplay: wrote {} objects of {kinds} kinds to {}",
        snapshot.object_count(),
        dir.display()
    );
    Ok(0)
}

/// What the snapshot is, for whoever opens the folder.
fn readme_text(snapshot: &Snapshot) -> String {
    let mut out = format!(
        "# Snapshot of the cluster of context `{}`\n\n\
         Written by `netplay dump` {}. Every netplay command reads this folder as it read the\n\
         cluster, e.g. `netplay connlist .` or `netplay analyze .`. Each file is what\n\
         `kubectl get RESOURCE -A -o json` writes (without managedFields). Secrets are never read.\n\n\
         | resource | objects |\n|---|---|\n",
        snapshot.context,
        env!("CARGO_PKG_VERSION")
    );
    for list in snapshot.lists.iter().filter(|l| !l.items.is_empty()) {
        out.push_str(&format!("| {} | {} |\n", list.resource, list.items.len()));
    }
    if !snapshot.forbidden.is_empty() {
        out.push_str("\nNot read (forbidden by RBAC): verdicts that depend on these may be wrong.\n\n");
        for f in &snapshot.forbidden {
            out.push_str(&format!("- {f}\n"));
        }
    }
    if !snapshot.not_served.is_empty() {
        out.push_str(&format!(
            "\nNot served by the cluster (CRDs not installed): {}.\n",
            snapshot.not_served.join(", ")
        ));
    }
    out
}
