"""The Dask fit at scale: ``y ~ x + (1 | user) + (1 | item)`` on a LocalCluster of 2 worker processes.

Rows are generated inside the partitions (``dask.dataframe.from_map`` over the
partition index, each block drawn from ``default_rng([SEED, index])``), so the
client never holds them; the same blocks concatenated in the client make the
in-memory DataFrame for the comparison. Users interact with a basket of 5 items
of their own (interaction logs: many rows per user-item pair), so the random-effects
cross-products stay small (q = users + items, Z'Z with one entry per pair) whatever
the number of rows. ``user`` and ``item`` are categoricals of known categories (text
ids), so the fit learns the levels from the dtypes and makes a single pass.

Each mode runs in its own process, so that peak memory is that mode's alone:

    python benchmarks/bench_dask.py --mode memory --rows 1e7   # in-memory: lmer on a pandas DataFrame
    python benchmarks/bench_dask.py --mode dask --rows 1e7     # the same rows on the LocalCluster
    python benchmarks/bench_dask.py --mode dask --rows 1e8

``--report FILE`` reads the JSON lines of such runs and prints the README's table: per run the
seconds, the client's and each worker's peak against the data's size, and for a Dask run the ratio
of its time to the in-memory run at the same rows with the largest differences of the estimates:

    python benchmarks/bench_dask.py --mode memory --rows 1e7 --json runs.jsonl
    python benchmarks/bench_dask.py --mode dask --rows 1e7 --json runs.jsonl
    python benchmarks/bench_dask.py --mode dask --rows 1e8 --json runs.jsonl
    python benchmarks/bench_dask.py --report runs.jsonl

Printed (and with ``--json FILE`` appended as one JSON line): seconds for the
cross-products (``from_formula`` / ``from_dask``, generation included for Dask) and for
the fit, the client's peak RSS (``ru_maxrss``; with a LocalCluster the scheduler runs in
the client's process and is counted there), each worker's peak RSS (``client.run``),
and the estimates, to compare the two paths.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings

import numpy as np
import pandas as pd

SEED = 20261126
USERS, ITEMS, BASKET = 100_000, 2_000, 5
BLOCK = 1_000_000  # rows per partition
FORMULA = "y ~ x + (1 | user) + (1 | item)"
BETA, SD_USER, SD_ITEM, SD_NOISE = (2.0, 0.5), 1.0, 0.5, 1.0


def _effects():
    """The true user and item effects and each user's basket of items: fixed by SEED, the same in every block."""
    rng = np.random.default_rng(SEED)
    return (rng.standard_normal(USERS) * SD_USER, rng.standard_normal(ITEMS) * SD_ITEM,
            rng.integers(0, ITEMS, size=(USERS, BASKET)))


def block(index: int, rows: int = BLOCK) -> pd.DataFrame:
    """Partition ``index``: ``rows`` interactions, a function of the index and SEED alone."""
    user_effect, item_effect, basket = _effects()
    rng = np.random.default_rng([SEED, index])
    user = rng.integers(0, USERS, size=rows)
    item = basket[user, rng.integers(0, BASKET, size=rows)]
    x = rng.standard_normal(rows)
    y = BETA[0] + BETA[1] * x + user_effect[user] + item_effect[item] + rng.standard_normal(rows) * SD_NOISE
    start = index * rows
    return pd.DataFrame({
        "y": y, "x": x,
        "user": pd.Categorical.from_codes(user.astype(np.int32), categories=_ids("u", USERS)),
        "item": pd.Categorical.from_codes(item.astype(np.int16), categories=_ids("i", ITEMS)),
    }, index=pd.RangeIndex(start, start + rows))


def _ids(prefix: str, count: int) -> pd.Index:
    """Text ids u0000000.. (sorted as their numbers): categories of text, whose level labels are themselves."""
    width = len(str(count - 1))
    return pd.Index([f"{prefix}{i:0{width}d}" for i in range(count)], dtype=object)


def peak_mib() -> float:
    """This process's peak resident set size, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_memory(rows: int) -> dict:
    import sparselmm as slmm

    data = pd.concat([block(i) for i in range(rows // BLOCK)])
    generated = peak_mib()
    start = time.perf_counter()
    model = slmm.LinearMixedModel.from_formula(FORMULA, data)
    summed = time.perf_counter()
    fit = model.fit()
    end = time.perf_counter()
    return {"mode": "memory", "rows": rows, "sums_s": summed - start, "fit_s": end - summed,
            "total_s": end - start, "client_peak_mib": peak_mib(), "client_peak_after_generation_mib": generated,
            "data_mib": data.memory_usage(deep=True).sum() / 2**20, **_estimates(fit)}


def run_dask(rows: int, workers: int, memory_limit: str) -> dict:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import sparselmm as slmm

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                           dashboard_address=None)
    client = Client(cluster)
    try:
        client.run(_reset_peak)
        up = time.perf_counter()
        parts = rows // BLOCK
        meta = block(0, 0)
        ddf = dd.from_map(block, range(parts), meta=meta,
                          divisions=[i * BLOCK for i in range(parts)] + [rows - 1])
        start = time.perf_counter()
        model = slmm.LinearMixedModel.from_dask(FORMULA, ddf)
        summed = time.perf_counter()
        fit = model.fit()
        end = time.perf_counter()
        workers_peak = client.run(peak_mib)
        return {"mode": "dask", "rows": rows, "partitions": parts, "workers": workers, "memory_limit": memory_limit,
                "cluster_start_s": up - started, "sums_s": summed - start, "fit_s": end - summed,
                "total_s": end - start, "client_peak_mib": peak_mib(),
                "worker_peak_mib": sorted(workers_peak.values()),
                "data_mib": rows * bytes_per_row() / 2**20, **_estimates(fit)}
    finally:
        client.close()
        cluster.close()


def _reset_peak() -> None:
    """Nothing to reset (ru_maxrss cannot be lowered); a worker's peak counts from its start, before any task."""


def bytes_per_row() -> int:
    """The columns' bytes per row (a categorical's codes; its categories are stored once, not per row)."""
    columns = block(0, 1)
    return sum(c.cat.codes.dtype.itemsize if isinstance(c.dtype, pd.CategoricalDtype) else c.dtype.itemsize
               for _, c in columns.items())


def _estimates(fit) -> dict:
    return {"objective": float(fit.objective), "theta": fit.theta.tolist(), "fixef": fit.fixef.tolist(),
            "sigma": float(fit.sigma), "evaluations": int(fit.optsummary.evaluations), "nobs": int(fit.nobs)}


def report(path: str) -> str:
    """The runs of ``path`` (JSON lines, the last of each mode and size) as a Markdown table."""
    with open(path) as handle:
        runs = {(r["mode"], r["rows"]): r for r in map(json.loads, filter(str.strip, handle))}
    lines = ["| rows | mode | seconds (sums + fit) | x in-memory | client peak MiB | worker peaks MiB | data MiB "
             "| objective rel. diff | max theta, fixef diff |", "| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |"]
    for (mode, rows), r in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0] != "memory")):
        memory = runs.get(("memory", rows)) if mode == "dask" else None
        ratio = diff = theta = ""
        if memory:
            ratio = f"{r['total_s'] / memory['total_s']:.2f}"
            diff = f"{abs(r['objective'] - memory['objective']) / abs(memory['objective']):.1e}"
            theta = "{:.1e}, {:.1e}".format(np.max(np.abs(np.subtract(r["theta"], memory["theta"]))),
                                            np.max(np.abs(np.subtract(r["fixef"], memory["fixef"]))))
        workers = ", ".join(f"{w:.0f}" for w in r.get("worker_peak_mib", [])) or "-"
        lines.append(f"| {rows:.0e} | {mode} | {r['total_s']:.1f} ({r['sums_s']:.1f} + {r['fit_s']:.1f}) | {ratio} "
                     f"| {r['client_peak_mib']:.0f} | {workers} | {r['data_mib']:.0f} | {diff} | {theta} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["memory", "dask"])
    parser.add_argument("--report", metavar="FILE", help="print the table of the runs appended to FILE, and stop")
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GiB")
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
        return
    if args.mode is None:
        parser.error("--mode is required (or --report FILE)")
    rows = int(args.rows)
    if rows % BLOCK:
        parser.error(f"--rows must be a multiple of {BLOCK:,}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_memory(rows) if args.mode == "memory" else run_dask(rows, args.workers, args.memory_limit)
    with open("/proc/loadavg") as handle:
        result["load_average"] = handle.read().split()[:3]
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "a") as handle:
            handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
