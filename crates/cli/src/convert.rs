//! `netplay convert`: v1alpha1 AdminNetworkPolicy / BaselineAdminNetworkPolicy rewritten
//! as v1alpha2 ClusterNetworkPolicy (core's `admin::convert`), with the proof that the
//! connections stay the same.

use netplay_core::SourceFile;

/// Prints the rewritten input on stdout and, on stderr, what changed. Exit 0 when the
/// connections are the same before and after, 1 when they differ (each difference shown).
pub fn run(files: &[SourceFile]) -> u8 {
    let c = netplay_core::convert_admin_policies(files);
    for d in &c.diagnostics {
        eprintln!("netplay: {}: {}", d.severity, d.message);
    }
    print!("{}", c.yaml);
    if c.same_connections() {
        eprintln!(
            "netplay: converted {} object(s) to ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2); the connections are the same before and after ({} connection(s))",
            c.converted,
            c.before.len()
        );
        return 0;
    }
    eprintln!(
        "netplay: converted {} object(s), but the connections differ:",
        c.converted
    );
    for line in c.before.iter().filter(|l| !c.after.contains(l)) {
        eprintln!("  - {} => {} : {}", line.src, line.dst, line.conn);
    }
    for line in c.after.iter().filter(|l| !c.before.contains(l)) {
        eprintln!("  + {} => {} : {}", line.src, line.dst, line.conn);
    }
    1
}
