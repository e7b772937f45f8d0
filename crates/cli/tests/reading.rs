//! Reading what users actually give `netplay`, through the binary (docs/semantics.md,
//! "Reading the input"): the same small cluster written the ways editors, Helm, PowerShell
//! and `kubectl` write it reads as the same cluster; inputs with nothing readable exit 2
//! with a line that says so; `diff` refuses a side with errors unless `--allow-errors`;
//! policy kinds netplay does not evaluate are named on stderr by every command; symbolic
//! link loops are walked once; a bundle zip reads as its files.

mod common;

use common::{Netplay, Run, TempDir};

/// Two pods and a policy that admits `app: a` into `app: b` on TCP 80 only.
const CLUSTER: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: x
  labels:
    app: a
spec:
  containers:
  - name: main
    image: nginx
---
apiVersion: v1
kind: Pod
metadata:
  name: b
  namespace: x
  labels:
    app: b
spec:
  containers:
  - name: main
    image: nginx
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: b-from-a
  namespace: x
spec:
  podSelector:
    matchLabels:
      app: b
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: a
    ports:
    - port: 80
";

/// The connections of [`CLUSTER`], by hand: `x/b` is isolated for ingress and admits
/// only `x/a` on TCP 80; `x/a` is not isolated; egress is open.
const EXPECTED: &str = "\
0.0.0.0-255.255.255.255[External] => x/a[Pod] : All Connections
x/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections
x/a[Pod] => x/b[Pod] : TCP 80
x/b[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections
x/b[Pod] => x/a[Pod] : All Connections
";

fn connlist_in(dir: &TempDir, args: &[&str], stdin: Option<&str>) -> Run {
    let mut all = vec!["connlist"];
    all.extend_from_slice(args);
    let mut cmd = Netplay::new(&all).dir(dir.path());
    if let Some(text) = stdin {
        cmd = cmd.stdin(text);
    }
    let run = cmd.run();
    run.assert_no_crash();
    run
}

fn assert_reads_as_cluster(run: &Run, what: &str) {
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, EXPECTED, ""),
        "{what}"
    );
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[test]
fn every_way_of_writing_the_cluster_reads_the_same() {
    let dir = TempDir::new("shapes");
    dir.write("plain.yaml", CLUSTER.as_bytes());
    assert_reads_as_cluster(&connlist_in(&dir, &["plain.yaml"], None), "plain YAML");

    // Windows editors: CRLF line ends and a UTF-8 byte order mark.
    let crlf = format!("\u{feff}{}", CLUSTER.replace('\n', "\r\n"));
    dir.write("crlf.yaml", crlf.as_bytes());
    assert_reads_as_cluster(&connlist_in(&dir, &["crlf.yaml"], None), "CRLF and BOM");

    // PowerShell's `kubectl get ... > file` writes UTF-16 LE with a byte order mark.
    dir.write("powershell.yaml", &utf16le_with_bom(CLUSTER));
    assert_reads_as_cluster(&connlist_in(&dir, &["powershell.yaml"], None), "UTF-16");

    // Helm: `# Source:` comments after `---`, empty documents, a trailing `---`.
    let helm = format!(
        "---\n# Source: chart/templates/empty.yaml\n---\n# Source: chart/templates/all.yaml\n{}\n---\n",
        CLUSTER.replace("---\n", "---\n# Source: chart/templates/next.yaml\n\n---\n")
    );
    dir.write("helm.yaml", helm.as_bytes());
    assert_reads_as_cluster(&connlist_in(&dir, &["helm.yaml"], None), "Helm output");

    // A JSON array at top level, and concatenated JSON objects on stdin.
    let docs: Vec<serde_json::Value> = CLUSTER
        .split("---\n")
        .map(|d| serde_yaml::from_str(d).expect("the cluster is YAML"))
        .collect();
    let array = serde_json::to_string_pretty(&docs).expect("JSON");
    dir.write("array.json", array.as_bytes());
    assert_reads_as_cluster(&connlist_in(&dir, &["array.json"], None), "top-level JSON array");
    let stream: String = docs
        .iter()
        .map(|d| format!("{}\n", serde_json::to_string_pretty(d).expect("JSON")))
        .collect();
    assert_reads_as_cluster(&connlist_in(&dir, &["-"], Some(stream.as_str())), "JSON on stdin");

    // One object per file, as `kubectl get pod a -o yaml` writes it.
    let split = TempDir::new("one-per-file");
    for (i, d) in CLUSTER.split("---\n").enumerate() {
        split.write(&format!("{i}.yaml"), d.as_bytes());
    }
    assert_reads_as_cluster(&connlist_in(&split, &["."], None), "one object per file");
}

#[test]
fn nothing_readable_exits_2_with_one_line_saying_so() {
    let dir = TempDir::new("nothing");
    dir.write("syntax.yaml", b"apiVersion: v1\nkind: Pod\nmetadata: {name: [\n");
    dir.write("empty.yaml", b"");
    // UTF-16 cut off in the middle of a code unit: refused, with the reason.
    let mut cut = utf16le_with_bom(CLUSTER);
    cut.push(b'x');
    dir.write("cut.yaml", &cut);
    for (args, stdin) in [
        (vec!["syntax.yaml"], None),
        (vec!["empty.yaml"], None),
        (vec!["cut.yaml"], None),
        (vec!["-"], Some("")),
    ] {
        let run = connlist_in(&dir, &args, stdin);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.transcript());
        let last = run.stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("netplay: ")
                && (last.contains("no Kubernetes object could be read") || last == "netplay: no input could be read"),
            "{}",
            run.transcript()
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
    }
    let run = connlist_in(&dir, &["cut.yaml"], None);
    assert!(
        run.stderr.contains("cut.yaml"),
        "the file is named: {}",
        run.transcript()
    );
    assert!(
        run.stderr.contains("UTF-16"),
        "the reason is given: {}",
        run.transcript()
    );
}

#[test]
fn diff_refuses_a_side_with_errors_unless_asked() {
    let dir = TempDir::new("diff-errors");
    dir.write("old.yaml", CLUSTER.as_bytes());
    // The same cluster with the policy broken (an invalid selector operator): left out.
    let broken = CLUSTER.replace(
        "  podSelector:\n    matchLabels:\n      app: b\n",
        "  podSelector:\n    matchExpressions:\n    - {key: app, operator: Equals, values: [b]}\n",
    );
    dir.write("new.yaml", broken.as_bytes());
    let run = Netplay::new(&["diff", "old.yaml", "new.yaml"]).dir(dir.path()).run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.transcript());
    assert!(
        run.stderr.contains("new.yaml has errors") && run.stderr.contains("--allow-errors"),
        "{}",
        run.transcript()
    );
    let run = Netplay::new(&["diff", "--allow-errors", "old.yaml", "new.yaml"])
        .dir(dir.path())
        .run();
    assert_eq!(
        run.code,
        1,
        "with --allow-errors the broken policy is a difference: {}",
        run.transcript()
    );
    assert!(run.stdout.contains("x/b[Pod]"), "{}", run.transcript());
}

#[test]
fn unevaluated_policy_kinds_are_named_by_every_command() {
    let dir = TempDir::new("unevaluated");
    let antrea = "apiVersion: crd.antrea.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: x}\nspec:\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop}]\n";
    let text = format!("{CLUSTER}---\n{antrea}---\n{}", antrea.replace("deny-all", "deny-more"));
    dir.write("c.yaml", text.as_bytes());
    dir.write("same.yaml", text.as_bytes());
    let line = "netplay: warning: 2 NetworkPolicy objects ignored: netplay does not evaluate them yet, so verdicts may be wrong";
    for args in [
        vec!["connlist", "c.yaml"],
        vec!["explain", "--src", "x/a", "--dst", "x/b", "c.yaml"],
        vec!["analyze", "c.yaml"],
        vec!["diff", "c.yaml", "same.yaml"],
    ] {
        let run = Netplay::new(&args).dir(dir.path()).run();
        assert!(matches!(run.code, 0 | 1), "{}", run.transcript());
        assert!(run.stderr.lines().any(|l| l == line), "{args:?}: {}", run.transcript());
    }
}

#[test]
fn symbolic_link_loops_are_walked_once_and_bundles_read_as_their_files() {
    let dir = TempDir::new("links");
    std::fs::create_dir_all(dir.path().join("cluster/nested")).expect("mkdir");
    dir.write("cluster/nested/all.yaml", CLUSTER.as_bytes());
    #[cfg(unix)]
    {
        // A link back to an ancestor, and a second link to the same directory.
        std::os::unix::fs::symlink("..", dir.path().join("cluster/nested/up")).expect("symlink");
        std::os::unix::fs::symlink("nested", dir.path().join("cluster/again")).expect("symlink");
    }
    assert_reads_as_cluster(&connlist_in(&dir, &["cluster"], None), "a directory with link loops");

    let run = Netplay::new(&["bundle", "cluster", "-o", "cluster.zip"])
        .dir(dir.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_reads_as_cluster(&connlist_in(&dir, &["cluster.zip"], None), "a bundle");
    let run = Netplay::new(&["explain", "--src", "x/a", "--dst", "x/b", "--port", "80", "cluster.zip"])
        .dir(dir.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.transcript());
}
