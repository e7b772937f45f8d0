"""Reads the Rust target measurements, times the netplay CLI as a whole process, runs the
PyPI peers (kube-netpol, knetvis) on the same generated input and the same flows, checks
their answers against netplay's, plots the growth curve and prints every target with its
measured value. Run by tests/bench/run.sh, which prepares the inputs and the venv.
"""

import argparse
import contextlib
import filecmp
import io
import json
import os
import random
import re
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import yaml

# Ports probed per flow: the synthetic workloads listen on 8080 (http), 5432 (db), 9090
# (metrics), 9000 (grpc); CoreDNS on 53; 443 is what the ipBlock egress rules allow.
PROBES = [("TCP", 8080), ("TCP", 5432), ("TCP", 9090), ("UDP", 53), ("TCP", 443)]
FLOWS = 2000


def load_jsonl(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def fmt_ms(ms):
    if ms is None:
        return "-"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 1:
        return f"{ms:.1f} ms"
    return f"{ms * 1000:.0f} µs"


def verdict(ms, target):
    if target is None:
        return ""
    if ms <= target:
        return f"met ({target / ms:.1f}× under)" if ms > 0 else "met"
    return f"MISSED by {ms / target:.2f}×"


def run_cli(netplay, directory, out_file):
    """`netplay connlist DIR` as a process: wall time and max RSS from /usr/bin/time."""
    with open(out_file, "w") as out:
        proc = subprocess.run(
            ["/usr/bin/time", "-v", netplay, "connlist", str(directory)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    hours, minutes, seconds = wall.groups()
    wall_s = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return wall_s * 1000, rss_kb / 1024


def run_process(cmd, out_file):
    """One whole process as a user runs it (`cmd > out_file`): wall clock, CPU time (user +
    system) and max RSS. /usr/bin/time reads the kernel's accounting of the child: a child
    forked from this Python process directly would count this process's memory as its own
    peak (Linux keeps the larger of the two across exec)."""
    stats = Path(out_file).with_suffix(".time")
    with open(out_file, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", str(stats), *map(str, cmd)],
                              stdout=out, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} exited with {proc.returncode}")
    user, system, rss_kb = stats.read_text().split()[-3:]
    return {
        "wall_ms": wall * 1000,
        "cpu_ms": (float(user) + float(system)) * 1000,
        "rss_mb": int(rss_kb) / 1024,
    }


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def whole_process_targets(out, netplay, baseline, sizes, runs, quick):
    """Issue 22's targets for the CLI, measured as a user runs it (`netplay connlist DIR >
    file`) on clusters where nearly every workload has its own labels (`netplay-synth
    distinct`): each command and the previous release's run in turn (A B A B …, so that a
    change in the machine's load hits both), medians of `runs`. Verdicts go by wall clock,
    what a user waits; CPU time is printed beside it because the machine is shared."""
    small, large = sizes[0], sizes[-1]
    focus = f"ns-{large[0] // 2:04d}/wl-{large[1] // 2 + large[0] // 2:05d}"
    cases = [
        ("connlist, whole process", small, ["connlist", out / f"distinct-{small[1]}"], 500.0),
        ("connlist, whole process", large, ["connlist", out / f"distinct-{large[1]}"], 5000.0),
        ("connlist --focus-workload (one workload)", large,
         ["connlist", "--focus-workload", focus, out / f"distinct-{large[1]}"], 500.0),
    ]
    results = []
    for name, (n, w, p), args, target in cases:
        mine, theirs = [], []
        for _ in range(runs):
            mine.append(run_process([netplay, *args], out / "connlist-now.out"))
            if baseline:
                theirs.append(run_process([baseline, *args], out / "connlist-before.out"))
        if baseline and not filecmp.cmp(out / "connlist-now.out", out / "connlist-before.out", shallow=False):
            raise SystemExit(f"{name} at {w} workloads: the output differs from the previous release's")
        pick = lambda rs, key: median([r[key] for r in rs]) if rs else None  # noqa: E731
        results.append({
            "name": name, "workloads": w, "namespaces": n, "policies": p, "target_ms": target,
            **{k: pick(mine, k) for k in ("wall_ms", "cpu_ms", "rss_mb")},
            **{f"before_{k}": pick(theirs, k) for k in ("wall_ms", "cpu_ms", "rss_mb")},
        })
    big = next(r for r in results if r["workloads"] == large[1] and "focus" not in r["name"])
    rows = [(r["name"], r, "ms") for r in results]
    rows.insert(2, ("connlist, whole process, peak memory (max RSS)", big, "MB"))

    print(f"\n## Issue 22: the CLI as a user runs it (`netplay-synth distinct`, medians of {runs}, A/B in turn)\n")
    print("| work | size | netplay wall | CPU | max RSS | previous release wall | CPU | max RSS | now / before (wall; memory: RSS) | target | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for name, r, unit in rows:
        size = f"{r['workloads']:,} workloads / {r['policies']:,} policies"
        if unit == "MB":
            value, target, shown = r["rss_mb"], 1024.0, f"{r['rss_mb']:.0f} MB"
            target_text = "≤ 1,024 MB"
        else:
            value, target, shown = r["wall_ms"], r["target_ms"], fmt_ms(r["wall_ms"])
            target_text = f"≤ {target / 1000:g} s"
        key = "rss_mb" if unit == "MB" else "wall_ms"
        ratio = f"{r[key] / r['before_' + key]:.2f}" if r["before_" + key] else "-"
        before = [fmt_ms(r["before_wall_ms"]), fmt_ms(r["before_cpu_ms"]),
                  f"{r['before_rss_mb']:.0f} MB" if r["before_rss_mb"] else "-"]
        judged = "smoke (BENCH_QUICK: sizes below the targets')" if quick else verdict(value, target)
        print(f"| {name} | {size} | {fmt_ms(r['wall_ms'])} | {fmt_ms(r['cpu_ms'])} | {r['rss_mb']:.0f} MB "
              f"| {' | '.join(before)} | {ratio} | {target_text} | {judged} |")
        verdicts.append(f"verdict: {name}, {size}: {shown} (CPU {fmt_ms(r['cpu_ms'])}), target {target_text}: {judged}")
    print()
    for v in verdicts:
        print(v)
    return results


def parse_conn(text):
    """netplay's printed connection set → {protocol: [(lo, hi)]}; None for all."""
    text = text.strip()
    if text == "All Connections":
        return None
    out = {}
    proto = None
    for part in text.split(","):
        part = part.strip()
        if " " in part:
            proto, part = part.split(" ", 1)
        lo, _, hi = part.partition("-")
        out.setdefault(proto, []).append((int(lo), int(hi or lo)))
    return out


def allows(conn, proto, port):
    if conn is None:
        return True
    return any(lo <= port <= hi for lo, hi in conn.get(proto, []))


def read_connlist(path):
    pairs = {}
    for line in Path(path).read_text().splitlines():
        left, _, conn = line.partition(" : ")
        src, _, dst = left.partition(" => ")
        pairs[(src, dst)] = parse_conn(conn)
    return pairs


def kube_netpol_run(directory, flows_spec):
    """kube-netpol's own parser and traffic simulator (its Python API; the CLI's
    `simulate` command does the same for one flow per process)."""
    from kube_netpol.models import TrafficFlow, TrafficVerdict
    from kube_netpol.parser import parse_manifests
    from kube_netpol.analyzers.simulator import simulate_traffic

    t0 = time.perf_counter()
    policies, _ = parse_manifests(str(directory))
    t1 = time.perf_counter()
    flows = [
        TrafficFlow(
            source_pod=s["name"],
            source_namespace=s["namespace"],
            source_labels=s["labels"],
            dest_pod=d["name"],
            dest_namespace=d["namespace"],
            dest_labels=d["labels"],
            port=port,
            protocol=proto,
        )
        for s, d, proto, port in flows_spec
    ]
    results = simulate_traffic(policies, flows)
    t2 = time.perf_counter()
    answers = [r.verdict == TrafficVerdict.ALLOW for r in results]
    return answers, (t1 - t0) * 1000, (t2 - t1) * 1000


def knetvis_run(docs, flows_spec):
    """knetvis's TrafficSimulator.test_connectivity. knetvis reads pods, namespaces and
    policies from a live API server through the kubernetes client; there is none here, so
    the same objects are served from memory by a stand-in for the two client APIs it calls.
    Its decision code runs unchanged."""
    from knetvis.models import Target
    from knetvis.policy import PolicyParser
    from knetvis.simulator import TrafficSimulator

    pods, namespaces, policies = {}, {}, {}
    for doc in docs:
        meta = doc.get("metadata") or {}
        if doc["kind"] == "Namespace":
            namespaces[meta["name"]] = meta.get("labels") or {}
        elif doc["kind"] in ("Deployment", "StatefulSet"):
            labels = doc["spec"]["template"]["metadata"].get("labels") or {}
            pods[(meta["namespace"], meta["name"])] = labels
        elif doc["kind"] == "NetworkPolicy":
            policies.setdefault(meta["namespace"], []).append(doc)

    def obj(labels):
        return SimpleNamespace(metadata=SimpleNamespace(labels=labels))

    class CoreApi:
        def read_namespaced_pod(self, name, namespace):
            return obj(pods[(namespace, name)])

        def read_namespace(self, name):
            return obj(namespaces.get(name, {}))

    class NetworkingApi:
        def list_namespaced_network_policy(self, namespace):
            return SimpleNamespace(items=[SimpleNamespace(to_dict=lambda p=p: p) for p in policies.get(namespace, [])])

    parser = PolicyParser.__new__(PolicyParser)
    parser.api = NetworkingApi()
    simulator = TrafficSimulator.__new__(TrafficSimulator)
    simulator.policy_parser = parser
    simulator.core_api = CoreApi()
    answers = []
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # it prints its intermediate steps
        for s, d, _proto, _port in flows_spec:
            src = Target(namespace=s["namespace"], kind="pod", name=s["name"])
            dst = Target(namespace=d["namespace"], kind="pod", name=d["name"])
            answers.append(simulator.test_connectivity(src, dst))
    return answers, (time.perf_counter() - t0) * 1000


def compare_peers(directory, connlist_path, netplay_ms, workload_count):
    docs = []
    for f in sorted(Path(directory).glob("*.yaml")):
        docs.extend(d for d in yaml.load_all(f.read_text(), Loader=yaml.CSafeLoader) if d)
    workloads = []
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            meta = doc["metadata"]
            workloads.append(
                {
                    "name": meta["name"],
                    "namespace": meta["namespace"],
                    "kind": doc["kind"],
                    "labels": doc["spec"]["template"]["metadata"].get("labels") or {},
                }
            )
    rng = random.Random(7)
    flows = []
    while len(flows) < FLOWS:
        s, d = rng.choice(workloads), rng.choice(workloads)
        if s is not d:
            flows.append((s, d) + rng.choice(PROBES))
    netplay_pairs = read_connlist(connlist_path)

    def name(w):
        return f"{w['namespace']}/{w['name']}[{w['kind']}]"

    truth_port = [
        (name(s), name(d)) in netplay_pairs and allows(netplay_pairs[(name(s), name(d))], proto, port)
        for s, d, proto, port in flows
    ]
    truth_any = [(name(s), name(d)) in netplay_pairs for s, d, _, _ in flows]

    kn_answers, kn_parse_ms, kn_sim_ms = kube_netpol_run(directory, flows)
    kv_answers, kv_ms = knetvis_run(docs, flows)
    all_probes = workload_count * (workload_count - 1) * len(PROBES)

    def summary(tool, answers, truth, parse_ms, sim_ms, unit):
        disagree = [i for i, (a, t) in enumerate(zip(answers, truth)) if a != t]
        more = [i for i in disagree if answers[i]]
        fewer = [i for i in disagree if not answers[i]]
        per_flow_ms = sim_ms / len(flows)
        samples = []
        for label, group in (("allows, netplay denies", more), ("denies, netplay allows", fewer)):
            for i in group[:3]:
                s, d, proto, port = flows[i]
                samples.append(f"{tool} {label}: {name(s)} => {name(d)} {proto} {port}")
        return {
            "tool": tool,
            "unit": unit,
            "flows": len(flows),
            "parse_ms": parse_ms,
            "simulate_ms": sim_ms,
            "per_flow_ms": per_flow_ms,
            "all_pairs_estimate_s": per_flow_ms * all_probes / 1000,
            "netplay_all_pairs_ms": netplay_ms,
            "agree": len(flows) - len(disagree),
            "peer_allows_more": len(more),
            "peer_allows_less": len(fewer),
            "samples": samples,
        }

    return [
        summary("kube-netpol 1.0.0", kn_answers, truth_port, kn_parse_ms, kn_sim_ms, "flow (pair, port)"),
        summary("knetvis 0.1.1", kv_answers, truth_any, None, kv_ms, "pair (ports ignored)"),
    ]


def plot(growth, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    x = [g["classes"] * g["policies"] / 1e6 for g in growth]
    left.plot(x, [g["engine_ms"] for g in growth], "o-", label="engine (every class pair)")
    left.plot(x, [g["connlist_ms"] for g in growth], "s-", label="full connlist (engine + lines, sorted)")
    left.set_xlabel("distinct label sets × policies (millions)")
    left.set_ylabel("ms")
    left.legend()
    left.grid(alpha=0.3)
    lines = [g["lines"] / 1e6 for g in growth]
    right.plot(lines, [g["connlist_ms"] for g in growth], "s-", color="tab:orange")
    for g, lx in zip(growth, lines):
        right.annotate(f"{g['workloads']:,}", (lx, g["connlist_ms"]), fontsize=7, xytext=(3, -10), textcoords="offset points")
    right.set_xlabel("output lines (millions); labels: workloads")
    right.set_ylabel("full connlist, ms")
    right.grid(alpha=0.3)
    fig.suptitle("netplay connlist: time against input and output size (release build, 2 cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--netplay", required=True)
    ap.add_argument("--sizes", required=True)
    ap.add_argument("--plot")
    ap.add_argument("--baseline", help="the previous release's netplay, timed beside this one")
    ap.add_argument("--distinct-sizes", help="N:W:P ... of the netplay-synth distinct clusters (issue 22)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)

    rows = []
    for t in load_jsonl(out / "targets.jsonl"):
        rows.append((t["name"], t["size"], t["ms"], t["target_ms"]))

    processes = []
    sizes = [tuple(int(v) for v in s.split(":")) for s in args.sizes.split()]
    for n, w, p in sizes:
        directory = out / f"cluster-{w}"
        wall_ms, rss_mb = run_cli(args.netplay, directory, out / f"connlist-{w}.txt")
        lines = sum(1 for _ in open(out / f"connlist-{w}.txt"))
        processes.append({"workloads": w, "namespaces": n, "policies": p, "wall_ms": wall_ms, "max_rss_mb": rss_mb, "lines": lines})
        size = f"{w} workloads / {n} namespaces / {p} policies"
        rows.append(("netplay connlist, whole process (read files, print)", size, wall_ms, None))
        if w >= 20000:
            rows.append(("memory (max RSS), whole process", size, rss_mb, 2048.0))

    print("\n## Targets\n")
    print("| work | size | measured | target | verdict |")
    print("|---|---|---|---|---|")
    for name, size, ms, target in rows:
        if name.startswith("memory"):
            print(f"| {name} | {size} | {ms:.0f} MB | {target:.0f} MB | {verdict(ms, target)} |")
        else:
            print(f"| {name} | {size} | {fmt_ms(ms)} | {fmt_ms(target)} | {verdict(ms, target)} |")

    # Before the peers: this process stays small while it starts the timed ones.
    issue22 = []
    if args.distinct_sizes:
        distinct = [tuple(int(v) for v in s.split(":")) for s in args.distinct_sizes.split()]
        issue22 = whole_process_targets(out, args.netplay, args.baseline, distinct, args.runs, args.quick)

    peer_size = sizes[0]
    peers = compare_peers(
        out / f"cluster-{peer_size[1]}",
        out / f"connlist-{peer_size[1]}.txt",
        processes[0]["wall_ms"],
        peer_size[1],
    )
    print(f"\n## Peers ({peer_size[1]} workloads / {peer_size[2]} policies, {FLOWS} sampled flows)\n")
    print("| tool | unit | read input | simulate the flows | per flow | all pairs × 5 ports (est.) | netplay, all pairs, whole process | ratio (peer all pairs / netplay) | agrees with netplay | peer allows more | peer allows less |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in peers:
        ratio = r["all_pairs_estimate_s"] * 1000 / r["netplay_all_pairs_ms"]
        print(
            f"| {r['tool']} | {r['unit']} | {fmt_ms(r['parse_ms'])} | {fmt_ms(r['simulate_ms'])} | {fmt_ms(r['per_flow_ms'])} "
            f"| {r['all_pairs_estimate_s']:,.0f} s | {fmt_ms(r['netplay_all_pairs_ms'])} | {ratio:,.0f}× "
            f"| {r['agree']}/{r['flows']} | {r['peer_allows_more']} | {r['peer_allows_less']} |"
        )
    for r in peers:
        for s in r["samples"]:
            print(f"- {s}")

    growth = load_jsonl(out / "growth.jsonl")
    if growth:
        print("\n## Growth\n")
        print("| workloads | namespaces | policies | classes | classes × policies | output lines | engine | full connlist |")
        print("|---|---|---|---|---|---|---|---|")
        for g in growth:
            print(
                f"| {g['workloads']:,} | {g['namespaces']} | {g['policies']:,} | {g['classes']:,} | {g['classes'] * g['policies'] / 1e6:.1f} M "
                f"| {g['lines']:,} | {fmt_ms(g['engine_ms'])} | {fmt_ms(g['connlist_ms'])} |"
            )
        if args.plot:
            plot(growth, args.plot)
            print(f"\nplot: {args.plot}")

    (out / "summary.json").write_text(
        json.dumps({"targets": rows, "processes": processes, "issue22": issue22, "peers": peers, "growth": growth}, indent=1)
    )
    print(f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end (other work on the machine inflates wall clock)")


if __name__ == "__main__":
    main()
