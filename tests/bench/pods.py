"""Reading a dump of a live cluster's pods as a whole process: `netplay analyze` of the
JSON PodList exactly as `kubectl get pods -A -o json` writes it (four-space indentation,
one field a line, ≈ 4 KB a pod; netplay-synth `pods ... kubectl`), the pod count
doubling four times (2,500 → 40,000, 152 MiB), for 10 and for 4,000 owners (analyze,
not connlist: without policies every pair of 4,000 workloads is a line, and writing 16
million lines is not reading). Prints wall clock, CPU time and max RSS per size, the
growth exponent (the slope of log time against log pods; 1 is linear) and the verdict
for issue 22's target: 40,000 pods in ≤ 3 s, growing linearly. Run by
tests/bench/run.sh. `--format api` reads the API server's compact output instead.
"""

import argparse
import math
import re
import subprocess
from pathlib import Path

TARGET_S = 3.0
# Above 1.25 the growth is no longer linear plus noise (the quadratic reading measured
# 1.7–2.7 between doublings).
LINEAR_EXPONENT = 1.25


def run(netplay, dump):
    """Wall clock, user + system CPU seconds and max RSS (MB) of `netplay analyze DUMP`."""
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", netplay, "analyze", str(dump)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall, user, sys_, rss = re.findall(r"^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$", proc.stderr, re.M)[-1]
    return float(wall), float(user) + float(sys_), int(rss) / 1024


def exponent(points):
    """Least-squares slope of log(seconds) against log(pods)."""
    xs = [math.log(p) for p, _, _ in points]
    ys = [math.log(max(s, 1e-3)) for _, s, _ in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netplay", required=True)
    ap.add_argument("--synth", required=True)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--sizes", default="2500,5000,10000,20000,40000")
    ap.add_argument("--format", default="kubectl", choices=["kubectl", "api"])
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'owners':>6} {'pods':>7} {'MB':>6} {'wall':>7} {'cpu':>7} {'max RSS':>8}")
    for owners in (10, 4000):
        points = []
        for pods in sizes:
            dump = args.out / f"pods-{pods}-{owners}-{args.format}.json"
            if not dump.exists():
                subprocess.run([args.synth, "pods", str(pods), str(owners), str(dump), args.format], check=True)
            wall, cpu, rss = run(args.netplay, dump)
            # The exponent from CPU time: wall clock on a shared machine is mostly noise.
            points.append((pods, cpu, wall))
            mb = dump.stat().st_size / 1e6
            print(f"{owners:>6} {pods:>7} {mb:>6.1f} {wall:>6.2f}s {cpu:>6.2f}s {rss:>6.0f}MB")
        k = exponent(points)
        # Wall clock as well: reading is parallel natively, so CPU time is more than the wait.
        k_wall = exponent([(p, w, c) for p, c, w in points])
        largest, cpu, wall = points[-1]
        linear = "linear" if k <= LINEAR_EXPONENT else "NOT linear"
        met = "met" if wall <= TARGET_S else f"MISSED by {wall / TARGET_S:.2f}x"
        print(
            f"pod dump, {owners} owners: growth exponent {k:.2f} CPU, {k_wall:.2f} wall ({linear}); "
            f"{largest} pods read in {wall:.2f} s ({cpu:.2f} s CPU; target <= {TARGET_S:.0f} s): {met}"
        )


if __name__ == "__main__":
    main()
