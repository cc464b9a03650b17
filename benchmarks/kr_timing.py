"""Kenward-Roger timings beside pbkrtest's (tests/data/inference/kr_timing.json): one fresh process per size.

    .venv/bin/python benchmarks/kr_timing.py [--sizes 500 1000 ... 200000] [--dense] [--output benchmarks/kr_timing.md]

For each size a child process fits ``y ~ cond + x + (1 | subj) + (1 | item)`` (REML), then times
``fit.coef_table("Kenward-Roger")`` (the call lmerTest's ``summary(fit, ddf = "Kenward-Roger")`` makes),
and reports its CPU and wall seconds and the process's peak resident memory (ru_maxrss) before and after.
The df are checked against pbkrtest's where R ran (relative difference). The model's terms are scalar,
so it takes the scalar-term route; ``--dense`` forces the dense route (that of models with a vector-valued
term) instead.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMING = HERE.parent / "tests" / "data" / "inference" / "kr_timing.json"


def child(n: int, dense: bool) -> dict:
    sys.path.insert(0, str(HERE))
    import sparselmm as slmm
    from bench_inference import FORMULA, kr_data
    from sparselmm.inference import kenward_roger

    kenward_roger.SCALAR_ROUTE = not dense

    data = kr_data(n)
    fit = slmm.lmer(FORMULA, data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu, wall = time.process_time(), time.perf_counter()
    table = fit.coef_table("Kenward-Roger")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "q": int(fit.model.crossprods.ZtZ.shape[0]), "cpu_seconds": cpu, "wall_seconds": wall,
            "peak_rss_before_mb": before, "peak_rss_mb": peak, "df": table["df"].tolist(),
            "se": table["Std. Error"].tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 1000, 2000, 4000, 8000, 16000, 50000, 100000, 200000])
    parser.add_argument("--dense", action="store_true", help="force the dense route")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.dense)))
        return
    runs = {r["n"]: r for r in json.loads(TIMING.read_text())["runs"]}
    lines = ["| n | q | sparselmm KR CPU s | wall s | peak RSS MiB (before KR) | pbkrtest KR CPU s | pbkrtest peak MiB "
             "| max rel. df diff |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n in args.sizes:
        command = [sys.executable, __file__, "--child", str(n)] + (["--dense"] if args.dense else [])
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        ours = json.loads(out.stdout.strip().splitlines()[-1])
        r = runs.get(n, {})
        ok = r.get("status") == "ok"
        diff = ""
        if ok:
            theirs = r["coef_table_kenward_roger"]
            column = theirs["columns"].index("df")
            expected = [row[column] for row in theirs["values"]]
            diff = f"{max(abs(a - b) / abs(b) for a, b in zip(ours['df'], expected)):.1e}"
        lines.append(f"| {n} | {ours['q']} | {ours['cpu_seconds']:.3f} | {ours['wall_seconds']:.3f} | "
                     f"{ours['peak_rss_mb']:.0f} ({ours['peak_rss_before_mb']:.0f}) | {r['kr_summary_cpu_seconds']:.1f} | {r['vmhwm_kr_mb']:.0f} | {diff} |"
                     if ok else
                     f"| {n} | {ours['q']} | {ours['cpu_seconds']:.3f} | {ours['wall_seconds']:.3f} | "
                     f"{ours['peak_rss_mb']:.0f} ({ours['peak_rss_before_mb']:.0f}) | not run | | |")
        print(lines[-1], flush=True)
    if args.output:
        args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
