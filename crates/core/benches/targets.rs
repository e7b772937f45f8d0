//! The performance targets of issue 7, each measured on synthetic input and printed as
//! one JSON object per line (`tests/bench/run.sh` reads them; docs/performance.md).
//!
//! `cargo bench -p netplay-core --bench targets`                 every target
//! `cargo bench -p netplay-core --bench targets -- growth`       the growth curve
//! `cargo bench -p netplay-core --bench targets -- quick`        small sizes only (smoke)
//! `cargo bench -p netplay-core --bench targets -- phases N W P` where the time goes
//! `cargo bench -p netplay-core --bench targets -- reading DIR [WORKLOAD]` the phases of
//! `netplay connlist DIR --focus-workload WORKLOAD` (issue 22: reading a large cluster)
//! `cargo bench -p netplay-core --bench targets -- playground N W P` one policy edit, kept
//! evaluation against from scratch
//! `cargo bench -p netplay-core --bench targets -- admin [quick]` the admin tiers against
//! NetworkPolicies of the same count (issue 15: at most 2x)
//!
//! Wall-clock medians of several runs in one process (release build). divan's
//! `benches/engine.rs` measures the same operations for day-to-day comparison.

use netplay_core::endpoint::Endpoint;
use netplay_core::mesh::Request;
use netplay_core::netpol::engine::Engine;
use netplay_core::netpol::explain::Target;
use netplay_core::policy::Selector;
use netplay_core::{load, Scenario, Severity, SourceFile};
use netplay_synth::{
    generate, generate_admin, generate_calico, generate_cilium, generate_cilium_and_calico, generate_mesh,
    generate_with_admin, Params,
};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.first().map(String::as_str) {
        Some("growth") => growth(),
        Some("quick") => targets(true),
        // Issue 16: Calico policies against the same count of NetworkPolicies.
        Some("calico") => calico(args.get(1).is_some_and(|a| a == "quick")),
        // Issue 16's done-when: 1,000 Cilium and 1,000 Calico policies against 2,000
        // NetworkPolicies, and each language alone against the same count.
        Some("cni") => cni(args.get(1).is_some_and(|a| a == "quick")),
        // Issue 15's done-when: the admin tiers cost at most 2x plain NetworkPolicy
        // evaluation at 5,000 workloads.
        Some("admin") => admin(args.get(1).is_some_and(|a| a == "quick")),
        Some("phases") => {
            let num = |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
            phases(num(1, 250), num(2, 5000), num(3, 3000));
        }
        Some("reading") => reading(
            std::path::Path::new(args.get(1).map_or(".", String::as_str)),
            args.get(2).map_or("kube-system/coredns", String::as_str),
        ),
        Some("playground") => {
            let num = |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
            playground(num(1, 50), num(2, 1000), num(3, 600));
        }
        _ => targets(false),
    }
}

/// What the playground does after one policy edit (a port of one rule, alternating):
/// the kept evaluation (`incremental::Evaluator`: lines and diagnostics) against
/// loading, listing and analysing from scratch. Files as the browser benchmark opens them.
fn playground(n: usize, w: usize, p: usize) {
    use netplay_core::incremental::Evaluator;
    let (policies, rest): (Vec<&str>, Vec<&str>) = {
        let text = Box::leak(generate(Params::new(n, w, p)).into_boxed_str());
        text.split("---\n")
            .filter(|d| !d.trim().is_empty())
            .partition(|d| d.contains("kind: NetworkPolicy"))
    };
    let join = |ds: &[&str]| ds.iter().map(|d| format!("{d}---\n")).collect::<String>();
    let workloads = SourceFile::new("workloads.yaml", join(&rest));
    let original = join(&policies);
    let edited = original.replacen("- port: 5432", "- port: 5433", 1);
    assert_ne!(original, edited, "the generated policies have a 5432 rule");
    let files = |policies: &str| {
        [
            workloads.clone(),
            SourceFile::new("policies.yaml", policies.to_string()),
        ]
    };
    let mut evaluator = Evaluator::default();
    let t = Instant::now();
    let first = evaluator.evaluate(&files(&original));
    let first_time = t.elapsed();
    let mut kept = Vec::new();
    let mut updated = 0;
    for i in 0..9 {
        let text = if i % 2 == 0 { &edited } else { &original };
        let input = files(text);
        let t = Instant::now();
        let e = evaluator.evaluate(&input);
        kept.push(t.elapsed());
        updated += usize::from(e.incremental);
    }
    kept.sort();
    let scratch = median(3, || {
        let s = load(&files(&edited));
        (s.connlist(), s.analyze())
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{{\"workloads\":{w},\"namespaces\":{n},\"policies\":{p},\"lines\":{},\"first_ms\":{:.1},\"edit_kept_ms\":{:.2},\"edits_updated\":\"{updated}/9\",\"edit_from_scratch_ms\":{:.1}}}",
        first.lines.len(),
        ms(first_time),
        ms(kept[kept.len() / 2]),
        ms(scratch)
    );
}

fn scenario(n: usize, w: usize, p: usize) -> Scenario {
    let s = load(&[SourceFile::new("synthetic.yaml", generate(Params::new(n, w, p)))]);
    let errors = s.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    assert_eq!(errors, 0, "the synthetic cluster is valid input");
    s
}

/// The median of `runs` timings of `f`.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Medians of `a` and `b` run in turn, `runs` times each: on a shared machine the load
/// drifts, and a ratio of two medians taken minutes apart measured the drift as much as
/// the code.
fn alternating_medians<T, U>(runs: usize, mut a: impl FnMut() -> T, mut b: impl FnMut() -> U) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        ta.push(median(1, &mut a));
        tb.push(median(1, &mut b));
    }
    ta.sort();
    tb.sort();
    (ta[ta.len() / 2], tb[tb.len() / 2])
}

fn report(name: &str, size: &str, measured: Duration, target_ms: Option<f64>, extra: &str) {
    let ms = measured.as_secs_f64() * 1e3;
    let target = target_ms.map_or("null".to_string(), |t| t.to_string());
    println!("{{\"name\":\"{name}\",\"size\":\"{size}\",\"ms\":{ms:.4},\"target_ms\":{target}{extra}}}");
}

/// An edit of policy `k`: it now selects every pod of its namespace, which is a large
/// edit (a whole namespace's rows or columns change), so the measurement is not flattered.
fn edited(cluster: &netplay_core::Cluster, k: usize) -> netplay_core::Cluster {
    let mut c = cluster.clone();
    c.policies[k].pod_selector = Selector::default();
    c
}

fn targets(quick: bool) {
    let (big, huge) = if quick {
        ((25, 500, 300), None)
    } else {
        ((250, 5000, 3000), Some((1000, 20000, 10000)))
    };
    let size = |(n, w, p): (usize, usize, usize)| format!("{w} workloads / {n} namespaces / {p} policies");

    let (n, w, p) = big;
    let text = generate(Params::new(n, w, p));
    let files = [SourceFile::new("synthetic.yaml", text)];
    report("parse and model", &size(big), median(3, || load(&files)), None, "");
    let s = scenario(n, w, p);
    let engine = Engine::new(&s.cluster);
    let extra = format!(
        ",\"classes\":{},\"lines\":{}",
        engine.classes.len(),
        engine.connection_count()
    );
    drop(engine);
    report(
        "engine: classes and every class pair",
        &size(big),
        median(5, || Engine::new(&s.cluster).classes.len()),
        None,
        &extra,
    );
    report(
        "full connlist",
        &size(big),
        median(5, || s.connlist()),
        Some(1000.0),
        &extra,
    );
    // An allowed pair, so that the explanation has rules to show.
    let (src, dst) = Engine::new(&s.cluster)
        .connections()
        .iter()
        .find_map(|c| match (c.src, c.dst) {
            (Endpoint::Workload(a), Endpoint::Workload(b)) => Some((Target::Workload(a), Target::Workload(b))),
            _ => None,
        })
        .expect("some pair is allowed");
    report(
        "explain one pair",
        &size(big),
        median(101, || s.explain(src, dst, None)),
        Some(1.0),
        "",
    );
    drop(s);

    if let Some(huge) = huge {
        let (n, w, p) = huge;
        let s = scenario(n, w, p);
        let t = Instant::now();
        let lines = s.connlist().len();
        report(
            "full connlist",
            &size(huge),
            t.elapsed(),
            Some(10000.0),
            &format!(",\"lines\":{lines}"),
        );
    }

    // Incremental: one policy edited in a 1,000-workload cluster.
    let (n, w, p) = (50, 1000, 600);
    let s = scenario(n, w, p);
    let k = p / 2;
    let other = edited(&s.cluster, k);
    report(
        "full re-evaluation (engine from scratch)",
        &size((n, w, p)),
        median(21, || Engine::new(&other).classes.len()),
        None,
        "",
    );
    // Alternate between the two versions so that every step is one real edit.
    let mut engine = Some(Engine::new(&s.cluster));
    let mut flip = false;
    let update = median(51, || {
        let e = engine.take().expect("engine present");
        let next = if flip {
            e.update_policy(&s.cluster, k)
        } else {
            e.update_policy(&other, k)
        };
        flip = !flip;
        let count = next.connection_count();
        engine = Some(next);
        count
    });
    report(
        "one policy edited: re-evaluation",
        &size((n, w, p)),
        update,
        Some(16.0),
        "",
    );
    let with_list = median(51, || {
        let e = engine.take().expect("engine present");
        let next = if flip {
            e.update_policy(&s.cluster, k)
        } else {
            e.update_policy(&other, k)
        };
        flip = !flip;
        let count = next.connections().len();
        engine = Some(next);
        count
    });
    report(
        "one policy edited: re-evaluation and connection list",
        &size((n, w, p)),
        with_list,
        Some(16.0),
        "",
    );

    // Mesh: one request through a 500-service mesh.
    let mesh = load(&[SourceFile::new("mesh.yaml", generate_mesh(25, 500, 42))]);
    let errors = mesh
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    assert_eq!(errors, 0, "the synthetic mesh is valid input");
    let request = Request::new("mesh-007/svc-0007-v1", "http://svc-0257.mesh-007.svc.cluster.local/")
        .with_header("x-canary", "true");
    assert!(mesh.mesh_request(&request).is_ok(), "the mesh request resolves");
    report(
        "mesh request",
        "500 services / 1,000 workloads / 25 namespaces",
        median(101, || mesh.mesh_request(&request)),
        Some(1.0),
        "",
    );
}

/// The full connlist (parse, model, engine, lines) of the synthetic cluster with its
/// policies as NetworkPolicies and as Calico NetworkPolicies (the same mix and count,
/// `netplay_synth::generate_calico`); issue 16's target is Calico under 1.5x.
fn calico(quick: bool) {
    let (n, w, p) = if quick { (25, 500, 100) } else { (250, 5000, 1000) };
    let size = format!("{w} workloads / {n} namespaces / {p} policies");
    let run = |text: &str| {
        let files = [SourceFile::new("synthetic.yaml", text.to_string())];
        let s = load(&files);
        let errors: Vec<_> = s.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "the synthetic cluster is valid input: {errors:?}");
        s.connlist().len()
    };
    let np = generate(Params::new(n, w, p));
    let calico = generate_calico(Params::new(n, w, p));
    let np_time = median(3, || run(&np));
    let calico_time = median(3, || run(&calico));
    let ratio = calico_time.as_secs_f64() / np_time.as_secs_f64().max(1e-9);
    report("load and connlist, NetworkPolicy", &size, np_time, None, "");
    report(
        "load and connlist, Calico NetworkPolicy",
        &size,
        calico_time,
        Some(np_time.as_secs_f64() * 1500.0),
        &format!(",\"ratio\":{ratio:.2}"),
    );
}

/// The full connlist of the synthetic cluster with its policies as NetworkPolicies, as
/// CiliumNetworkPolicies, as Calico NetworkPolicies (each `p`), and half Cilium, half
/// Calico (`2p`, against `2p` NetworkPolicies): issue 16's target is under 1.5x. Each
/// pair is timed in turn, five times (median): see [`alternating_medians`].
fn cni(quick: bool) {
    let (n, w, p) = if quick { (25, 500, 100) } else { (250, 5000, 1000) };
    let run = |text: &str| {
        let files = [SourceFile::new("synthetic.yaml", text.to_string())];
        let s = load(&files);
        let errors: Vec<_> = s.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "the synthetic cluster is valid input: {errors:?}");
        s.connlist().len()
    };
    for (what, policies, text) in [
        ("CiliumNetworkPolicy", p, generate_cilium(Params::new(n, w, p))),
        ("Calico NetworkPolicy", p, generate_calico(Params::new(n, w, p))),
        (
            "CiliumNetworkPolicy + Calico NetworkPolicy",
            2 * p,
            generate_cilium_and_calico(Params::new(n, w, 2 * p)),
        ),
    ] {
        let size = format!("{w} workloads / {n} namespaces / {policies} policies");
        let np = generate(Params::new(n, w, policies));
        let (np_time, time) = alternating_medians(5, || run(&np), || run(&text));
        let ratio = time.as_secs_f64() / np_time.as_secs_f64().max(1e-9);
        report("load and connlist, NetworkPolicy", &size, np_time, None, "");
        report(
            &format!("load and connlist, {what}"),
            &size,
            time,
            Some(np_time.as_secs_f64() * 1500.0),
            &format!(",\"ratio\":{ratio:.2}"),
        );
    }
}

/// The synthetic cluster with its policies all NetworkPolicies, against the same cluster
/// and policy count with a share of them in the admin tiers (`generate_with_admin`: the
/// BANP `default`, ANPs and v1alpha2 ClusterNetworkPolicies of both tiers, with Pass
/// rules, networks, port ranges and named ports), and with all of them there
/// (`generate_admin`, the worst case). For each: the connlist of the loaded input
/// (evaluation) and load plus connlist, medians of 5 runs; issue 15's target is at most
/// 2x the NetworkPolicy time.
fn admin(quick: bool) {
    let (n, w, p) = if quick { (25, 500, 300) } else { (250, 5000, 3000) };
    let loaded = |text: &str| {
        let s = load(&[SourceFile::new("synthetic.yaml", text.to_string())]);
        let errors: Vec<_> = s.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "the synthetic cluster is valid input: {errors:?}");
        s
    };
    let size = format!("{w} workloads / {n} namespaces / {p} policies");
    let np_text = generate(Params::new(n, w, p));
    let np = loaded(&np_text);
    let np_lines = np.connlist().len();
    let np_eval = median(5, || np.connlist().len());
    let np_whole = median(5, || {
        load(&[SourceFile::new("synthetic.yaml", np_text.clone())])
            .connlist()
            .len()
    });
    drop(np);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    report(
        "connlist, NetworkPolicy",
        &size,
        np_eval,
        None,
        &format!(",\"lines\":{np_lines}"),
    );
    report("load and connlist, NetworkPolicy", &size, np_whole, None, "");
    for (admin, text) in [
        (p / 10, generate_with_admin(Params::new(n, w, p), p / 10)),
        (p, generate_admin(Params::new(n, w, p))),
    ] {
        let s = loaded(&text);
        let lines = s.connlist().len();
        let eval = median(5, || s.connlist().len());
        drop(s);
        let whole = median(5, || {
            load(&[SourceFile::new("synthetic.yaml", text.clone())])
                .connlist()
                .len()
        });
        for (what, time, base) in [("connlist", eval, np_eval), ("load and connlist", whole, np_whole)] {
            let ratio = time.as_secs_f64() / base.as_secs_f64().max(1e-9);
            let verdict = if ratio <= 2.0 { "met" } else { "missed" };
            report(
                &format!("{what}, {admin} of {p} policies in the admin tiers"),
                &size,
                time,
                Some(ms(base) * 2.0),
                &format!(",\"lines\":{lines},\"ratio\":{ratio:.2},\"target\":\"2x\",\"verdict\":\"{verdict}\""),
            );
        }
    }
}

/// Time of the full connlist against size: distinct label sets (classes) × policies, and
/// output lines.
fn growth() {
    for (n, w, p) in [
        (10, 250, 150),
        (25, 500, 300),
        (50, 1000, 600),
        (100, 2000, 1200),
        (150, 3000, 1800),
        (200, 4000, 2400),
        (250, 5000, 3000),
        (500, 10000, 6000),
    ] {
        let s = scenario(n, w, p);
        let engine = Engine::new(&s.cluster);
        let (classes, lines) = (engine.classes.len(), engine.connection_count());
        drop(engine);
        let runs = if w > 5000 { 1 } else { 3 };
        let engine_time = median(runs, || Engine::new(&s.cluster).classes.len());
        let connlist_time = median(runs, || s.connlist());
        println!(
            "{{\"workloads\":{w},\"namespaces\":{n},\"policies\":{p},\"classes\":{classes},\"lines\":{lines},\"engine_ms\":{:.3},\"connlist_ms\":{:.3}}}",
            engine_time.as_secs_f64() * 1e3,
            connlist_time.as_secs_f64() * 1e3
        );
    }
}

/// One run of each phase of the connlist, for seeing where the time goes.
fn phases(n: usize, w: usize, p: usize) {
    let t = Instant::now();
    let text = generate(Params::new(n, w, p));
    let generate_time = t.elapsed();
    let t = Instant::now();
    let s = load(&[SourceFile::new("synthetic.yaml", text)]);
    let load_time = t.elapsed();
    let t = Instant::now();
    let engine = Engine::new(&s.cluster);
    let engine_time = t.elapsed();
    let t = Instant::now();
    let connections = engine.connections();
    let expand_time = t.elapsed();
    let count = connections.len();
    drop(connections);
    drop(engine);
    let t = Instant::now();
    let lines = s.connlist().len();
    let connlist_time = t.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{{\"workloads\":{w},\"namespaces\":{n},\"policies\":{p},\"generate_ms\":{:.1},\"parse_and_model_ms\":{:.1},\"engine_ms\":{:.1},\"connections_ms\":{:.1},\"connections\":{count},\"connlist_ms\":{:.1},\"lines\":{lines}}}",
        ms(generate_time),
        ms(load_time),
        ms(engine_time),
        ms(expand_time),
        ms(connlist_time)
    );
}

/// The phases of a focused connection list of the YAML files of `dir`, each a median of
/// five runs in one process: reading the files, parsing them (split, YAML, objects), the
/// model (`read::build`), and the focused rows written to memory. Freeing each phase's
/// result is outside its time, as in the CLI, which leaves the model to the OS at exit.
fn reading(dir: &std::path::Path, focus: &str) {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let read_files = || -> Vec<SourceFile> {
        paths
            .iter()
            .map(|p| SourceFile::new(p.display().to_string(), std::fs::read_to_string(p).unwrap_or_default()))
            .collect()
    };
    /// The median time of `f` (wall clock, and CPU time of every thread of the process),
    /// its result dropped outside the time.
    fn timed<T>(mut f: impl FnMut() -> (T, Duration)) -> (Duration, Duration) {
        let mut times: Vec<(Duration, Duration)> = (0..5)
            .map(|_| {
                let cpu = cpu_time();
                let (result, time) = f();
                let cpu = cpu_time().saturating_sub(cpu);
                drop(result);
                (time, cpu)
            })
            .collect();
        times.sort();
        let wall = times[2].0;
        times.sort_by_key(|t| t.1);
        (wall, times[2].1)
    }
    let since = |t: Instant| t.elapsed();
    let files_time = timed(|| {
        let t = Instant::now();
        let files = read_files();
        (files, since(t))
    });
    let files = read_files();
    let parse_time = timed(|| {
        let t = Instant::now();
        let parsed = netplay_core::parse::parse_files(&files);
        (parsed, since(t))
    });
    let build_time = timed(|| {
        let (raw, _) = netplay_core::parse::parse_files(&files);
        let t = Instant::now();
        let model = netplay_core::read::build(raw);
        (model, since(t))
    });
    let scenario = load(&files);
    let focus = netplay_core::Focus::Workloads(vec![focus.to_string()]);
    let mut lines = 0;
    let rows_time = timed(|| {
        let t = Instant::now();
        let mut rows = scenario.connlist_rows(&focus).expect("the focused workload");
        let mut out = Vec::new();
        netplay_core::output::write_connlist(&mut rows, netplay_core::output::Format::Txt, &mut out)
            .expect("written to memory");
        let time = since(t);
        lines = out.iter().filter(|&&b| b == b'\n').count();
        (rows, time)
    });
    let ms =
        |(wall, cpu): (Duration, Duration)| format!("[{:.1},{:.0}]", wall.as_secs_f64() * 1e3, cpu.as_secs_f64() * 1e3);
    println!(
        "{{\"dir\":{:?},\"unit\":\"[wall ms, CPU ms]\",\"read_files\":{},\"parse\":{},\"build\":{},\"focused_rows\":{},\"lines\":{lines}}}",
        dir.display().to_string(),
        ms(files_time),
        ms(parse_time),
        ms(build_time),
        ms(rows_time)
    );
}

/// The CPU time of every thread of this process so far (user and system, from
/// `/proc/self/stat`, in clock ticks of 10 ms); zero where there is no `/proc`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after ')'.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}
