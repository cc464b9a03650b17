"""lme4's parametric bootstrap (``bootMer``): simulate responses from the fit, refit, collect a statistic.

Replicate i draws its response from its own stream, ``numpy.random.SeedSequence(seed).spawn(nsim)[i]``
(new random effects and new noise, y* = X beta + Z Lambda u* + e*, u* ~ N(0, sigma^2 I), e* ~ N(0, sigma^2 I),
as lme4's ``simulate`` with ``use.u = FALSE``), so a replicate's numbers depend on the seed and its index
only: the same seed gives the same replicates whatever ``n_jobs``. Each refit starts from the fit's
theta (lme4's ``refit``) and keeps its REML setting; it is the fit's design with the simulated
response (:func:`with_response`), so ``func`` sees a complete fit of the replicate. The replicates run in batches on joblib's worker
processes (``n_jobs=None``: every core; one BLAS thread per worker) behind a tqdm progress bar. A
refit that fails gives a row of NaN and is counted, as bootMer's failures are.

Percentile intervals are boot's ``boot.ci(type = "perc")``, which lme4's ``confint(method = "boot")``
calls: the (nsim + 1) a-th order statistic, interpolated on the normal scale between neighbours.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from .._threads import blas_threads
from ..errors import SparseLMMError
from .profile import interval_columns, sv_names, theta_to_sv

BATCH = 10  # replicates per task: a refit of a small model takes milliseconds


def default_statistic(fit) -> pd.Series:
    """confint's parameters: .sig01, ... (sds and correlations), .sigma, then the fixed effects."""
    values = np.concatenate([theta_to_sv(fit.model.covariance, fit.theta, fit.sigma), fit.solution.beta])
    return pd.Series(values, index=sv_names(fit) + list(fit.design.fixef_names))


@dataclass
class BootResult:
    """``t0`` = func(fit) (Series), ``t`` (nsim, statistics) the replicates, ``failures`` refits that failed."""

    t0: pd.Series
    t: pd.DataFrame
    seed: object
    n_jobs: int
    failures: int

    @property
    def nsim(self) -> int:
        return len(self.t)

    def confint(self, level: float = 0.95) -> pd.DataFrame:
        """Percentile intervals (boot.ci type "perc"), columns named for ``level``."""
        rows = [percentile_interval(self.t[c].dropna().to_numpy(), level) for c in self.t.columns]
        return pd.DataFrame(rows, index=list(self.t.columns), columns=interval_columns(level))


def percentile_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """boot's norm.inter at (1 -+ level) / 2: order statistics interpolated on the normal quantile scale."""
    t = np.sort(values)
    R = len(t)
    out = []
    for alpha in ((1 - level) / 2, (1 + level) / 2):
        rk = (R + 1) * alpha
        k = int(np.floor(rk))
        if k == rk and 1 <= k <= R:
            out.append(t[k - 1])
        elif k < 1 or k >= R:
            out.append(t[0] if k < 1 else t[-1])  # boot warns "extreme order statistics used"
        else:
            qa, qb, q = stats.norm.ppf([k / (R + 1), (k + 1) / (R + 1), alpha])
            out.append(t[k - 1] + (q - qa) / (qb - qa) * (t[k] - t[k - 1]))
    return float(out[0]), float(out[1])


def _replicates(model_type, design, REML: bool, theta, beta, sigma, Lambda, seeds, func) -> list:
    """Simulate and refit one batch (runs in a worker) with models of ``model_type`` (the fit's): a list of
    statistic vectors (None for a failure)."""
    X, Z = design.X, design.Z
    mean = X @ beta
    ZLambda = Z @ Lambda
    q, n = Lambda.shape[0], len(mean)
    out = []
    with blas_threads(lapack=False), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in seeds:
            rng = np.random.default_rng(seed)
            y = mean + ZLambda @ (rng.standard_normal(q) * sigma) + rng.standard_normal(n) * sigma
            try:
                refit = model_type(with_response(design, y)).fit(REML=REML, start=theta)
                out.append(np.asarray(func(refit), dtype=float))
            except (SparseLMMError, np.linalg.LinAlgError, ArithmeticError):
                out.append(None)
    return out


def with_response(design, y: np.ndarray):
    """The design with another response (n,): its coded rows' y (the engine keeps y there, or on the design)."""
    if hasattr(design, "coded"):
        return replace(design, coded=replace(design.coded, y=y))
    return replace(design, y=y)


def bootstrap(fit, nsim: int, func=None, seed=None, n_jobs=None, progress: bool = True) -> BootResult:
    """lme4's ``bootMer(fit, FUN = func, nsim, seed, type = "parametric")``; see the module's docstring."""
    import joblib
    from tqdm.auto import tqdm

    if not isinstance(nsim, (int, np.integer)) or nsim < 1:
        raise SparseLMMError(f"nsim must be a positive whole number of bootstrap replicates, not {nsim!r}")
    fit.design.require_rows("the bootstrap's simulated responses")
    func = func or default_statistic
    t0 = func(fit)
    names = list(t0.index) if isinstance(t0, pd.Series) else [f"t{i + 1}" for i in range(np.size(t0))]
    t0 = pd.Series(np.asarray(t0, dtype=float).ravel(), index=names)
    workers = joblib.effective_n_jobs(-1 if n_jobs is None else n_jobs)
    seeds = np.random.SeedSequence(seed).spawn(nsim)
    Lambda = fit.model.covariance.lambda_matrix(fit.theta)
    args = (type(fit.model), fit.design, fit.REML, fit.theta, fit.solution.beta, float(fit.sigma), Lambda)
    batches = [seeds[i:i + BATCH] for i in range(0, nsim, BATCH)]
    rows = []
    with tqdm(total=nsim, desc="bootstrap", disable=not progress) as bar:
        if workers == 1:
            results = (_replicates(*args, batch, func) for batch in batches)
        else:
            results = joblib.Parallel(n_jobs=workers, return_as="generator")(
                joblib.delayed(_replicates)(*args, batch, func) for batch in batches)
        for batch in results:
            rows += batch
            bar.update(len(batch))
    failures = sum(r is None for r in rows)
    values = np.array([np.full(len(names), np.nan) if r is None else r.ravel() for r in rows])
    return BootResult(t0, pd.DataFrame(values, columns=names), seed, workers, failures)
