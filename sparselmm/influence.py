"""lme4's influence.merMod: the model refitted without each level of a grouping factor (or each row).

For each distinct value of ``groups`` in the rows fitted (in order of first appearance), the fit's
own call is repeated without those rows, from the full fit's theta and with at most ``maxfun``
evaluations (lme4's defaults), and its fixed effects, variance components, vcov, convergence and
evaluations are kept. From them, as lme4 computes them (n deleted groups, p fixed effects,
b the full fit's fixed effects, b_(-i) those without group i, V the full fit's vcov):

    dfbeta_i  = b_(-i) - b
    dfbetas_i = dfbeta_i / sqrt(diag(vcov_(-i)))
    D_i       = dfbeta_i' [(n - p) / (n p) V^-1] dfbeta_i        (cooks_distance)

The refits run on every core (joblib's worker processes) when there is enough work to pay for
them; each is only as exact as the optimizer's tolerances, as lme4's are. A ``subset`` of the
original call is kept (lme4's influence replaces it by the deletion's).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ._threads import blas_threads
from .control import as_control
from .data import as_data_frame
from .errors import SparseLMMError
from .rows import subset_mask

PARALLEL_SECONDS = 2.0  # below this much estimated refitting, worker processes cost more than they save


@dataclass(frozen=True)
class Influence:
    """The deletion refits (see the module's docstring); rows of the ``*_deleted`` tables are the levels."""

    groups: str
    fixed_effects: pd.Series
    fixed_effects_deleted: pd.DataFrame
    var_cov_comps: pd.Series
    var_cov_comps_deleted: pd.DataFrame
    vcov: pd.DataFrame
    vcov_deleted: dict
    converged: pd.Series
    function_evals: pd.Series

    @property
    def deleted(self) -> list:
        return list(self.fixed_effects_deleted.index)

    def dfbeta(self) -> pd.DataFrame:
        """b_(-i) - b per deleted level (lme4's dfbeta.influence.merMod)."""
        return self.fixed_effects_deleted - self.fixed_effects

    def dfbetas(self) -> pd.DataFrame:
        """dfbeta scaled by each deleted fit's standard errors (lme4's dfbetas.influence.merMod)."""
        scales = pd.DataFrame({level: np.sqrt(np.diag(v)) for level, v in self.vcov_deleted.items()},
                              index=self.fixed_effects.index).T
        return self.dfbeta() / scales.loc[self.deleted].to_numpy()

    def cooks_distance(self) -> pd.Series:
        """lme4's cooks.distance.influence.merMod: D_i = db_i' [(n - p) / (n p) V^-1] db_i."""
        db = self.dfbeta().to_numpy()
        n, p = db.shape
        V_inv = np.linalg.inv(self.vcov.to_numpy())
        values = np.einsum("ij,jk,ik->i", db, (n - p) / (n * p) * V_inv, db)
        return pd.Series(values, index=self.fixed_effects_deleted.index, name="cooks_distance")


def influence(fit, groups=None, maxfun: int = 1000, n_jobs=None, progress: bool = False) -> Influence:
    """lme4's ``influence(fit, groups)``: ``groups`` a column (or several, their combinations) of the data
    the fit was made on; None deletes one row at a time. ``n_jobs`` workers (None: every core when it pays)."""
    call = _call_of(fit)
    data = as_data_frame(call.data)
    keys, label = _group_keys(data, groups)
    scope = subset_mask(data, call.subset)
    scope = np.ones(len(data), dtype=bool) if scope is None else scope
    used = np.zeros(len(data), dtype=bool)
    used[fit.rows] = True
    levels = list(dict.fromkeys(keys[used]))
    arguments = _refit_arguments(call, fit.theta, maxfun)
    results = _run(call.function, arguments, (keys, scope), levels, n_jobs, len(levels) * fit.optsummary.seconds, progress)
    return _collect(fit, label, levels, results)


def _call_of(fit):
    call = getattr(fit, "call", None)
    if call is None:
        raise SparseLMMError("influence() refits the model's own call: fit it with slmm.lmer(formula, data, ...)")
    return call


def _group_keys(data: pd.DataFrame, groups) -> tuple[np.ndarray, str]:
    """(each row's deletion key (N,) as text, the keys' name): a column, several joined by ".", or the row."""
    if groups is None:
        return np.asarray([str(i) for i in data.index], dtype=object), ".case"
    names = [groups] if isinstance(groups, str) else list(groups)
    if not names:
        raise SparseLMMError("groups=[] names no column: give a column (or several) of the data, or None to delete "
                             "one row at a time")
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise SparseLMMError(f"groups={groups!r}: no column {missing[0]!r} in the data; its columns are "
                             f"{', '.join(map(str, data.columns[:20]))}")
    text = data[names].astype(str).agg(".".join, axis=1) if len(names) > 1 else data[names[0]].astype(str)
    keys = text.to_numpy(dtype=object)
    keys[data[names].isna().any(axis=1).to_numpy()] = None
    return keys, ".".join(names)


def _refit_arguments(call, theta: np.ndarray, maxfun: int) -> dict:
    """The call's arguments for a deletion refit: quiet, from theta, at most ``maxfun`` evaluations."""
    control = as_control(call.control)
    optimizer = call.optimizer if call.optimizer is not None else control.optimizer
    if optimizer is None or isinstance(optimizer, str):
        control = replace(control, optimizer=optimizer or "bobyqa", opt_ctrl={**control.opt_ctrl, "maxeval": maxfun})
    else:  # an optimizer object keeps its own settings
        control = replace(control, optimizer=optimizer, opt_ctrl={})
    return {**call.arguments(), "optimizer": None, "control": control, "start": np.array(theta), "verbose": False}


def _run(function, arguments: dict, rows: tuple, levels: list, n_jobs, estimated_seconds: float, progress: bool) -> list:
    """Every deletion refit, in one batch per worker (joblib's processes) or here; ``rows`` are each row's
    key and the original subset."""
    import joblib
    from tqdm.auto import tqdm

    workers = min(joblib.effective_n_jobs(-1 if n_jobs is None else n_jobs), max(len(levels), 1))
    if n_jobs is None and estimated_seconds < PARALLEL_SECONDS:
        workers = 1
    with tqdm(total=len(levels), desc="influence", disable=not progress) as bar:
        if workers == 1:
            done = [_refits(function, arguments, rows, levels)]
        else:
            done = joblib.Parallel(n_jobs=workers)(joblib.delayed(_refits)(function, arguments, rows, levels[i::workers])
                                                    for i in range(workers))
        bar.update(len(levels))
    ordered = [None] * len(levels)
    for worker, batch in enumerate(done):
        ordered[worker::len(done)] = batch
    return ordered


def _refits(function, arguments: dict, rows: tuple, levels: list) -> list:
    """Deletion refits (in a worker) by the function that made the fit (lmer): per level, what the influence
    tables keep."""
    keys, scope = rows
    out = []
    with blas_threads(lapack=False), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for level in levels:
            started = time.perf_counter()
            refit = function(**{**arguments, "subset": scope & (keys != level)})
            out.append((refit.fixef, variance_components(refit), refit.vcov, refit.optsummary.converged,
                        refit.optsummary.evaluations, time.perf_counter() - started))
    return out


def variance_components(fit) -> pd.Series:
    """sigma^2, then each term's covariance lower triangle column by column, with lme4's names (v[a], C[b,a])."""
    covariance = fit.model.covariance
    labels = covariance.group_labels()
    values = {"sigma^2": fit.sigma**2}
    for label, term, T in zip(labels, fit.design.terms, covariance.templates(fit.theta)):
        Sigma = fit.sigma**2 * T @ T.T
        prefix = f"{label}:" if len(labels) > 1 else ""
        for b in range(term.k):
            for a in range(b, term.k):
                name = f"v[{term.columns[a]}]" if a == b else f"C[{term.columns[a]},{term.columns[b]}]"
                values[prefix + name] = Sigma[a, b]
    return pd.Series(values)


def _collect(fit, label: str, levels: list, results: list) -> Influence:
    names = list(fit.fixef.index)
    fixed = pd.DataFrame([r[0].reindex(names) for r in results], index=levels)
    components = variance_components(fit)
    deleted = pd.DataFrame([r[1].reindex(components.index) for r in results], index=levels)
    vcovs = {level: r[2].reindex(index=names, columns=names) for level, r in zip(levels, results)}
    return Influence(label, fit.fixef, fixed, components, deleted, fit.vcov, vcovs,
                     pd.Series([r[3] for r in results], index=levels, name="converged"),
                     pd.Series([r[4] for r in results], index=levels, name="function_evals"))
