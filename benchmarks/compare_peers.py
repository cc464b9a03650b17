"""Fit the same REML models (and GLMMs) in sparselmm, mixedlm, statsmodels and lme4; print one table.

    python benchmarks/compare_peers.py [--models sleepstudy,insteval] [--repeat 3] [--output results.md]
    python benchmarks/compare_peers.py --models verbagg,users_items_1e6 --glmm-exact-modes

Each (peer, model) runs in its own subprocess, so that its peak resident memory
(``os.wait4``'s ``ru_maxrss``: interpreter, libraries, data and fits) is its own.
The subprocess loads the data and the peer's library, then times ``--repeat`` fits;
the table shows the median. lme4 runs through ``Rscript``, which loads lme4 before its
timed fits too (the Python peers' imports were once inside the first timed fit: 0.8 s
of sparselmm's 1.2 s first VerbAgg fit, which a median of three then let through
whenever one of the other two met a busy moment). A peer that is not installed is skipped
with a note; peers are optional, never dependencies of sparselmm
(``pip install -r benchmarks/requirements-peers.txt``).

All fits are REML, compared on the REML criterion, -2 x the restricted
log-likelihood at the optimum: sparselmm ``fit.objective``, mixedlm
``REMLcrit()``, lme4 ``-2 * logLik(fit)``, statsmodels ``-2 * llf`` of a
``reml=True`` fit (statsmodels' restricted log-likelihood carries the same
constants as lme4's: on sleepstudy both give 1743.6283).

The GLMMs (``verbagg``: lme4's VerbAgg, 7,584 binary responses, 316 people crossed with 24
items; ``users_items_1e5`` and ``users_items_1e6``: binary users x items data generated as
benchmarks/glmer_data.py describes) are fitted by the Laplace approximation (glmer's default
nAGQ = 1) and compared on -2 logLik: sparselmm ``fit.objective``, mixedlm ``-2 * logLik()``,
lme4 ``-2 * logLik(fit)``. statsmodels has no maximum-likelihood GLMM (its
BinomialBayesMixedGLM is a variational Bayes approximation) and is not run on them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import blasinfo
import glmer_data
import reference
import synthetic

PEERS = ("sparselmm", "mixedlm", "statsmodels", "lme4")
DEFAULT_MODELS = ("sleepstudy", "insteval", "crossed_1e5", "crossed_1e6")
VERBAGG_CSV = Path(__file__).resolve().parents[1] / "tests" / "data" / "glmer" / "verbagg.csv"
# The fixed part without lme4's parentheses "(Anger + Gender + btype + situ)": the same model, and mixedlm's parser
# reads no parentheses there.
VERBAGG_FORMULA = "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)"
VERBAGG_TEXT = ("r2", "Gender", "btype", "situ", "id", "item")


# ---------------------------------------------------------------- the models

@dataclass(frozen=True)
class Model:
    """A model every peer fits: lme4 formula, where its data come from, how statsmodels says it.

    ``sm_groups``/``sm_re`` describe a one-factor model for ``smf.mixedlm``;
    ``sm_vc`` lists crossed factors, which statsmodels can only express as
    variance components inside one all-rows group.
    """

    formula: str
    source: str                      # a reference case name, or a synthetic.CROSSED key
    fixed: str                       # the fixed part, for statsmodels
    text_columns: tuple[str, ...] = ()
    sm_groups: str | None = None
    sm_re: str | None = None
    sm_vc: tuple[str, ...] = ()
    family: str | None = None        # a GLMM's family (glmer); None for lmer's REML fits


MODELS = {
    "sleepstudy": Model("Reaction ~ Days + (Days | Subject)", "sleepstudy", "Reaction ~ Days",
                        ("Subject",), sm_groups="Subject", sm_re="~Days"),
    "insteval": Model("y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)", "insteval",
                      "y ~ 1 + service", tuple(reference.TEXT_COLUMNS["insteval"]),
                      sm_vc=("s", "d", "dept:service")),
    **{f"crossed_{key}": Model(synthetic.CROSSED_FORMULA, key, "y ~ x", ("user", "item"),
                               sm_vc=("user", "item"))
       for key in synthetic.CROSSED},
    "slopes_1e6": Model(synthetic.SLOPES_FORMULA, "slopes", "y ~ x", ("user",),
                        sm_groups="user", sm_re="~x"),
    "crossed_slopes_2e5": Model(synthetic.CROSSED_SLOPES_FORMULA, "crossed_slopes", "y ~ x", ("user", "item")),
    "latin_square": Model(synthetic.LATIN_SQUARE_FORMULA, "latin_square", "y ~ a * b * c",
                          ("subject", "item", "a", "b", "c")),
    "latin_square_max": Model(synthetic.LATIN_SQUARE_MAX_FORMULA, "latin_square", "y ~ a * b * c",
                              ("subject", "item", "a", "b", "c")),
    "verbagg": Model(VERBAGG_FORMULA, "verbagg", "", VERBAGG_TEXT, family="binomial"),
    **{f"users_items_{key}": Model(glmer_data.FORMULA, f"users_items_{key}", "", ("user", "item"),
                                   family="binomial") for key in glmer_data.SIZES},
}

STATSMODELS_GLMM_NOTE = ("not run: statsmodels has no maximum-likelihood GLMM (BinomialBayesMixedGLM is a "
                         "variational Bayes approximation)")
STATSMODELS_CROSSED_NOTE = (
    "not run: crossed factors only as variance components in one all-rows group; "
    "measured at 1e5 rows: one REML evaluation 42 s, one gradient > 14 min "
    "(--statsmodels-crossed runs it anyway)")


def load_data(model: Model):
    """The model's rows as a DataFrame (reference CSV, or synthetic data regenerated from its seed); users
    and items as text keys, as they arrive from a database."""
    if model.source in reference.TEXT_COLUMNS:
        return reference.load(model.source).data
    if model.source == "verbagg":  # the response as 0/1 (r2 == "Y"), which every peer takes
        import pandas as pd

        data = pd.read_csv(VERBAGG_CSV, dtype={column: str for column in VERBAGG_TEXT})
        return data.assign(r2=(data["r2"] == "Y").astype(float))
    if model.source.startswith("users_items_"):
        return glmer_data.users_items(*glmer_data.SIZES[model.source.removeprefix("users_items_")])
    if model.source == "slopes":
        return synthetic.random_slopes()
    if model.source == "latin_square":
        return synthetic.latin_square()
    if model.source == "crossed_slopes":
        return synthetic.text_keys(synthetic.crossed_slopes())
    return synthetic.text_keys(synthetic.crossed(synthetic.CROSSED[model.source]))


# ------------------------------------------------- fits, inside the worker process

def fit_sparselmm(model: Model, data) -> float:
    """sparselmm's REML fit; its objective is the REML criterion (a GLMM's: -2 logLik, Laplace)."""
    import sparselmm

    if model.family:
        fit = sparselmm.glmer(model.formula, data, model.family)
        fit_sparselmm.last = fit
        return float(fit.objective)
    return float(sparselmm.lmer(model.formula, data, REML=True).objective)


def exact_modes_objective(fit) -> float:
    """-2 logLik of a glmer fit at its own optimum with the Laplace approximation at the exact modes (PIRLS
    run to convergence), as mixedlm evaluates it. fit.objective is lme4's value, which takes log|L|^2 from
    the factor of PIRLS's second-last step: about 7.6e-4 higher on VerbAgg at the same parameters."""
    import numpy as np
    from sparselmm.glmm.fit import GlmerFit

    pars = np.concatenate([fit.theta, fit.beta])
    return float(GlmerFit(fit.model, fit.nAGQ, exact_modes=True).at(pars).objective)


def fit_mixedlm(model: Model, data) -> float:
    """mixedlm (PyPI; lme4's formulation with a Rust core): REMLcrit(); a GLMM's -2 logLik."""
    import mixedlm

    if model.family:
        family = {"binomial": mixedlm.families.Binomial, "poisson": mixedlm.families.Poisson}[model.family]()
        return float(-2.0 * mixedlm.glmer(model.formula, data, family=family).logLik().value)
    return float(mixedlm.lmer(model.formula, data, REML=True).REMLcrit())


def fit_statsmodels(model: Model, data) -> float:
    """statsmodels MixedLM, reml=True: -2 llf. Crossed factors as variance components."""
    import statsmodels.formula.api as smf

    if model.sm_groups:
        fit = smf.mixedlm(model.fixed, data, groups=model.sm_groups, re_formula=model.sm_re)
    else:
        fit = _statsmodels_crossed(model, data)
    return float(-2.0 * fit.fit(reml=True).llf)


def _statsmodels_crossed(model: Model, data):
    """MixedLM with one group holding every row and one sparse indicator matrix per crossed factor."""
    import numpy as np
    import statsmodels.formula.api as smf
    from statsmodels.regression.mixed_linear_model import MixedLM, VCSpec

    ols = smf.ols(model.fixed, data)  # only for y and X with R's treatment contrasts
    names, columns, matrices = [], [], []
    for factor in model.sm_vc:
        matrix, levels = _indicator(_factor_values(data, factor))
        names.append(factor)
        columns.append([levels])
        matrices.append([matrix])
    return MixedLM(ols.endog, ols.exog, groups=np.zeros(len(data)),
                   exog_vc=VCSpec(names, columns, matrices))


def _factor_values(data, factor: str):
    """A grouping column, or the interaction 'a:b' of two, as strings."""
    parts = factor.split(":")
    values = data[parts[0]].astype(str)
    for part in parts[1:]:
        values = values + ":" + data[part].astype(str)
    return values


def _indicator(values):
    """Sparse n x levels 0/1 matrix of a factor, and its level names."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    factor = pd.Categorical(values)
    n = len(factor)
    matrix = sp.csr_array((np.ones(n), (np.arange(n), factor.codes)),
                          shape=(n, len(factor.categories)))
    return matrix, [str(level) for level in factor.categories]


PYTHON_FITS = {"sparselmm": fit_sparselmm, "mixedlm": fit_mixedlm, "statsmodels": fit_statsmodels}
PEER_MODULES = {"sparselmm": "sparselmm", "mixedlm": "mixedlm", "statsmodels": "statsmodels.formula.api"}


def worker(peer: str, model_name: str, repeat: int, exact_modes: bool = False) -> None:
    """Load the data and the peer (untimed), time ``repeat`` fits, print one RESULT line of JSON."""
    import importlib

    warnings.simplefilter("ignore")
    model = MODELS[model_name]
    data = load_data(model)
    importlib.import_module(PEER_MODULES[peer])
    fit = PYTHON_FITS[peer]
    seconds, objective = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        objective = fit(model, data)
        seconds.append(time.perf_counter() - started)
    result = {"seconds": seconds, "objective": objective, "version": _version(peer)}
    if exact_modes and peer == "sparselmm" and model.family:  # untimed (but in the peak RSS): mixedlm's criterion
        result["objective_exact_modes"] = exact_modes_objective(fit_sparselmm.last)
    result["vm_hwm_kb"] = _vm_hwm_kb(os.getpid())  # this worker's own peak, read before it exits
    print("RESULT " + json.dumps(result), flush=True)


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


# ------------------------------------------------------- lme4 through Rscript

R_SCRIPT = r"""
suppressMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
text <- strsplit(args[3], ",")[[1]]
classes <- setNames(rep("factor", length(text)), text)
data <- read.csv(args[1], colClasses = classes)
seconds <- numeric(0)
for (i in seq_len(as.integer(args[4]))) {
  started <- proc.time()[["elapsed"]]
  fit <- if (nzchar(args[5])) glmer(as.formula(args[2]), data = data, family = args[5]) else
    lmer(as.formula(args[2]), data = data, REML = TRUE)
  seconds <- c(seconds, proc.time()[["elapsed"]] - started)
}
cat(sprintf('RESULT {"seconds": [%s], "objective": %.10f, "version": "%s", "blas": "%s"}\n',
            paste(sprintf("%.6f", seconds), collapse = ", "), -2 * as.numeric(logLik(fit)),
            as.character(packageVersion("lme4")), extSoftVersion()[["BLAS"]]))
"""


def lme4_command(model: Model, csv: Path, repeat: int) -> list[str]:
    """Rscript reading the CSV (text columns as factors, as the reference fits did) and fitting."""
    return ["Rscript", "-e", R_SCRIPT, str(csv), model.formula,
            ",".join(model.text_columns), str(repeat), model.family or ""]


def csv_for_r(model: Model, scratch: Path) -> Path:
    """The reference CSV itself, or the synthetic rows written once to ``scratch``."""
    if model.source in reference.TEXT_COLUMNS:
        return reference.load(model.source).csv
    if model.source == "verbagg":
        return VERBAGG_CSV
    path = scratch / f"{model.source}.csv"
    if not path.exists():
        load_data(model).to_csv(path, index=False)
    return path


# ------------------------------------------------------- the parent process

@dataclass
class Outcome:
    """One cell row of the table: a peer's fit of a model, or why there is none."""

    model: str
    peer: str
    seconds: float | None = None
    objective: float | None = None
    peak_mb: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def run_measured(command: list[str], timeout: float) -> tuple[str, str, float | None, str]:
    """Run a subprocess; return stdout, stderr, its own peak RSS in MB (os.wait4), and an error.

    Polls ``os.wait4`` instead of ``communicate`` because only wait4 returns the
    rusage of this particular child; output goes to temporary files meanwhile.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True,
                                   start_new_session=True)
        status, usage, high_water = _wait(process, timeout)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    # not ru_maxrss: Linux carries the parent's RSS at fork into the child's maxrss across exec, so every
    # child would report at least this process's size; VmHWM belongs to the child's own address space
    peak = high_water / 1024 if high_water else (usage.ru_maxrss / 1024 if usage else None)
    error = "" if status == 0 else ("timeout" if status is None else f"exit {status}")
    return stdout, stderr, peak, error


def _wait(process: subprocess.Popen, timeout: float):
    """(exit code, rusage, the child's VmHWM in kB as last read) of the child; on timeout kill its process
    group, return (None, rusage, VmHWM)."""
    deadline = time.monotonic() + timeout
    high_water = 0
    while True:
        high_water = max(high_water, _vm_hwm_kb(process.pid))
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage, high_water
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return None, usage, high_water
        time.sleep(0.05)


def _vm_hwm_kb(pid: int) -> int:
    """The peak resident size of ``pid``'s own address space (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def run_peer(peer: str, model_name: str, args, scratch: Path) -> Outcome:
    """Measure one peer on one model, or say why it was skipped."""
    model = MODELS[model_name]
    skipped = skip_reason(peer, model, args)
    if skipped:
        return Outcome(model_name, peer, note=skipped)
    if peer == "lme4":
        command = lme4_command(model, csv_for_r(model, scratch), args.repeat)
    else:
        python = sys.executable if peer == "sparselmm" else args.peer_python
        command = [python, __file__, "--worker", peer, model_name, "--repeat", str(args.repeat)]
        command += ["--glmm-exact-modes"] if args.glmm_exact_modes and peer == "sparselmm" else []
    stdout, stderr, peak, error = run_measured(command, args.timeout)
    result = _parse_result(stdout)
    if error or result is None:
        reason = error or "no result"
        return Outcome(model_name, peer, peak_mb=peak, note=f"{reason}: {_last_line(stderr)}")
    peak = result["vm_hwm_kb"] / 1024 if result.get("vm_hwm_kb") else peak
    return Outcome(model_name, peer, statistics.median(result["seconds"]), result["objective"],
                   peak, extra=result)


def skip_reason(peer: str, model: Model, args) -> str:
    """Why a peer is not run: not installed, or a model statsmodels cannot fit in reasonable time."""
    if peer == "lme4":
        return "" if shutil.which("Rscript") else "skipped: Rscript not found"
    if peer != "sparselmm" and not _importable(peer, args.peer_python):
        return f"skipped: {peer} not installed for {args.peer_python} (pip install {peer})"
    if peer == "statsmodels" and model.family:
        return STATSMODELS_GLMM_NOTE
    if peer == "statsmodels" and model.sm_vc and not args.statsmodels_crossed:
        return STATSMODELS_CROSSED_NOTE
    return ""


def _importable(package: str, python: str) -> bool:
    """Whether ``python`` can import ``package`` (peers live in their own environment)."""
    found = subprocess.run([python, "-c", f"import importlib.util, sys; sys.exit(importlib.util.find_spec({package!r}) is None)"],
                           capture_output=True)
    return found.returncode == 0


def _parse_result(stdout: str) -> dict | None:
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    return json.loads(lines[-1][len("RESULT "):]) if lines else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


# ------------------------------------------------------------------ output

def table(outcomes: list[Outcome], repeat: int) -> str:
    """Markdown table: seconds, ratio to sparselmm, peak RSS, objective minus sparselmm's."""
    ours = {o.model: o for o in outcomes if o.peer == "sparselmm"}
    rows = [f"| model | peer | seconds (median of {repeat}) | x sparselmm | peak RSS MB "
            "| criterion - sparselmm | note |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for o in outcomes:
        base = ours.get(o.model)
        ratio = o.seconds / base.seconds if o.seconds and base and base.seconds else None
        delta = o.objective - base.objective if o.objective is not None and base and base.objective is not None else None
        note = o.note
        exact = base.extra.get("objective_exact_modes") if base else None
        if o.peer == "mixedlm" and exact is not None and o.objective is not None:  # PIRLS to the modes, as ours
            note = f"{note} exact modes: {o.objective - exact:+.2e} (mixedlm's Laplace is at the exact modes)".strip()
        rows.append(f"| {o.model} | {o.peer} | {_fmt(o.seconds, '.3f')} | {_fmt(ratio, '.2f')} "
                    f"| {_fmt(o.peak_mb, '.0f')} | {_fmt(delta, '+.2e')} | {note} |")
    return "\n".join(rows)


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def machine() -> str:
    """CPU model, cores, memory and OS of this machine."""
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.1f} GiB RAM, {platform.platform()}"


def versions(outcomes: list[Outcome]) -> str:
    """Version of each peer that ran, and R's BLAS if lme4 ran."""
    seen = {o.peer: o.extra["version"] for o in outcomes if "version" in o.extra}
    text = ", ".join(f"{peer} {version}" for peer, version in seen.items())
    r_blas = {o.extra["blas"] for o in outcomes if "blas" in o.extra}
    return text + (f"; R's BLAS: {', '.join(sorted(r_blas))}" if r_blas else "")


def markdown(outcomes: list[Outcome], args, blas: str) -> str:
    """The whole report: date, machine, BLAS, versions, table, what was compared."""
    return "\n".join([
        "# sparselmm against its peers", "",
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {machine()}",
        f"- versions: {versions(outcomes)}",
        "- BLAS:", "", "```", blas, "```", "",
        table(outcomes, args.repeat), "",
        "Seconds: wall time of the fit call alone (data already loaded), median of the runs. "
        "Peak RSS: the whole subprocess (interpreter, libraries, data, fits). "
        "Criterion: the REML criterion (-2 x restricted log-likelihood) of lmer's models, -2 logLik (Laplace) "
        "of the GLMMs, at the peer's optimum minus sparselmm's; positive means the peer stopped at a worse "
        "optimum. mixedlm evaluates a GLMM's Laplace approximation at the exact conditional modes, lme4 and "
        "sparselmm with the factor of PIRLS's second-last step (lme4's convention, ~1e-4 to 1e-3 higher at the "
        "same parameters): compare mixedlm with the 'exact modes' note (--glmm-exact-modes), not this column.", ""])


# -------------------------------------------------------------------- main

def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help=f"comma-separated, from {', '.join(MODELS)}")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of peers")
    parser.add_argument("--repeat", type=int, default=1, help="fits per peer and model; median shown")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per peer and model")
    parser.add_argument("--output", type=Path, help="also write a markdown report here")
    parser.add_argument("--peer-python", default=sys.executable,
                        help="the Python whose environment has mixedlm and statsmodels (default: this one)")
    parser.add_argument("--statsmodels-crossed", action="store_true",
                        help="run statsmodels on crossed models too (very slow)")
    parser.add_argument("--glmm-exact-modes", action="store_true",
                        help="also evaluate sparselmm's GLMM optimum at the exact modes, mixedlm's criterion "
                             "(lme4's -2 logLik lags the modes by a PIRLS step; this evaluation adds to the peak RSS)")
    parser.add_argument("--worker", nargs=2, metavar=("PEER", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    args.peers = [p for p in args.peers.split(",") if p]
    unknown = [m for m in args.models if m not in MODELS] + [p for p in args.peers if p not in PEERS]
    if unknown:
        parser.error(f"unknown model or peer: {', '.join(unknown)}")
    return args


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    if args.worker:
        return worker(*args.worker, args.repeat, args.glmm_exact_modes)
    import sparselmm  # noqa: F401  (loads CHOLMOD, so the report sees its BLAS)

    blas = blasinfo.report()
    print(blas, "\n", flush=True)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="sparselmm-peers-") as scratch:
        for model in args.models:
            for peer in ["sparselmm"] + [p for p in args.peers if p != "sparselmm"]:
                outcome = run_peer(peer, model, args, Path(scratch))
                print(f"{model:>12} {peer:>11}: {_fmt(outcome.seconds, '.3f')} s {outcome.note}",
                      flush=True)
                outcomes.append(outcome)
    print("\n" + table(outcomes, args.repeat))
    if args.output:
        args.output.write_text(markdown(outcomes, args, blas))
        print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main(sys.argv[1:])
