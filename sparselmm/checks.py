"""lme4's checks of a design, with lme4's words: levels, identifiability, aliased columns, predictor scales.

lFormula refuses a grouping factor with fewer than 2 levels or as many levels as
rows, and a fit with no residual degrees of freedom; it drops fixed-effects
columns that are linear combinations of earlier ones (with a warning), and warns
when the predictors' scales differ by more than a factor of 1,000. The same
checks serve an in-memory design (from X itself) and a chunked one (from the
accumulated X'X and column summaries, since no X is kept).
"""

from __future__ import annotations

import warnings

import numpy as np

from .errors import CheckWarning, DataError, RankDeficiencyWarning, ScaleWarning

RANK_TOLERANCE = 1e-7  # lme4 drops a column whose QR residual is below this (relative)
SCALE_TOLERANCE = 1e3  # lme4's checkScaleX tol


CHECK_DEFAULTS = {"check_nlev_gtr_1": "stop", "check_nobs_vs_nlev": "stop", "check_nobs_vs_nRE": "stop"}
CHECK_ACTIONS = ("ignore", "warning", "stop")


def check_terms(terms, nobs: int, actions: dict | None = None) -> None:
    """lme4's checks of the random-effects terms: at least 2 levels, fewer levels and effects than rows.

    ``actions`` (lmerControl's check.nlev.gtr.1, check.nobs.vs.nlev, check.nobs.vs.nRE, as
    ``check_nlev_gtr_1`` ...) says for each whether a failure stops the fit (the default), warns or is
    ignored, as lme4's own tests fit a factor with a level per row with the check set to "warning".
    """
    actions = {**CHECK_DEFAULTS, **(actions or {})}
    for term in terms:
        if term.m < 2:
            report(actions["check_nlev_gtr_1"], "check_nlev_gtr_1",
                   f"the grouping factor '{term.group}' has only {term.m} level in the data used; "
                   "a random effect needs at least 2 levels (drop the term or fix the column)")
        if term.m >= nobs:
            report(actions["check_nobs_vs_nlev"], "check_nobs_vs_nlev",
                   f"the grouping factor '{term.group}' has {term.m} levels for {nobs} observations; "
                   "lme4 requires fewer levels than observations, or the random effects and the "
                   "residual variance are not identifiable")
        if term.q >= nobs:
            report(actions["check_nobs_vs_nRE"], "check_nobs_vs_nRE",
                   f"the term ({' + '.join(term.columns)} | {term.group}) has {term.q} random effects for "
                   f"{nobs} observations; they and the residual variance are not identifiable")


def report(action: str, check: str, message: str) -> None:
    """A failed check as ``action`` says: a DataError ("stop"), a CheckWarning ("warning") or nothing."""
    if action == "stop":
        raise DataError(f"{message} (lme4's {check.replace('_', '.')}; control=LmerControl({check}='warning') "
                        "fits anyway)")
    if action == "warning":
        warnings.warn(message, CheckWarning, stacklevel=5)


def check_fixed(names, nobs: int) -> None:
    """At least one observation must be left for the residual once X is fitted."""
    if len(names) >= nobs:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise DataError(
            f"{nobs} observations cannot estimate {len(names)} fixed effects ({shown}) and a residual "
            "variance; use fewer fixed-effect terms or more data"
        )


def independent_columns(X: np.ndarray) -> list[int]:
    """Columns of X (n, p) that are not combinations of earlier ones, by X's QR as lme4 judges them:
    column j is kept when its residual on the earlier columns, |R_jj|, is above 1e-7 of its norm."""
    R = np.linalg.qr(X, mode="r")  # (min(n, p), p): a column beyond the n-th has no residual left
    norms = np.linalg.norm(X, axis=0)
    residual = np.zeros(X.shape[1])
    residual[: R.shape[0]] = np.abs(np.diag(R))
    return [j for j in range(X.shape[1]) if residual[j] > RANK_TOLERANCE * max(norms[j], np.finfo(float).tiny)]


def independent_columns_of_gram(XtX: np.ndarray) -> list[int]:
    """The same judgement from X'X (p, p) alone, for chunked data: the squared residuals, by Cholesky."""
    keep, L = [], np.zeros((0, 0))
    for j in range(XtX.shape[0]):
        cross = XtX[keep, j]
        coefficients = np.linalg.solve(L, cross) if keep else cross
        residual = XtX[j, j] - coefficients @ coefficients
        if residual > RANK_TOLERANCE**2 * max(XtX[j, j], np.finfo(float).tiny):
            L = np.block([[L, np.zeros((len(keep), 1))], [coefficients[None, :], np.sqrt([[residual]])]])
            keep.append(j)
    return keep


def dropped_columns(names, keep: list[int]) -> list[str]:
    """The names of the columns not kept; a warning in lme4's words when there are any, an error when none is kept."""
    if not keep and len(names):  # no columns at all (y ~ 0 + (1 | g)) is a model lme4 fits
        raise DataError("every fixed-effects column is zero; the model has no fixed effects to estimate")
    kept = set(keep)
    dropped = [name for j, name in enumerate(names) if j not in kept]
    if dropped:
        warnings.warn(f"{rank_deficiency_message(len(dropped))}: {', '.join(dropped)}", RankDeficiencyWarning,
                      stacklevel=4)
    return dropped


def rank_deficiency_message(dropped: int) -> str:
    """lme4's words for dropped aliased columns."""
    plural = "s" if dropped > 1 else ""
    return f"fixed-effect model matrix is rank deficient so dropping {dropped} column{plural} / coefficient{plural}"


def column_summary(X: np.ndarray) -> np.ndarray:
    """(5, p): count, sum, sum of squares, min and max of each column: what the scale check reads (summable)."""
    if X.shape[0] == 0:
        return np.vstack([np.zeros((3, X.shape[1])), np.full(X.shape[1], np.inf), np.full(X.shape[1], -np.inf)])
    columns = np.ascontiguousarray(X.T)  # reductions along contiguous rows: 20 times faster than down a C array
    return np.vstack([np.full(X.shape[1], X.shape[0]), columns.sum(axis=1), np.einsum("ij,ij->i", columns, columns),
                      columns.min(axis=1), columns.max(axis=1)])


def combine_summaries(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.vstack([a[:3] + b[:3], np.minimum(a[3], b[3]), np.maximum(a[4], b[4])])


def scale_messages(summary: np.ndarray) -> list[str]:
    """lme4's checkScaleX: a warning when the continuous columns' standard deviations differ from each other,
    or from 1, by more than a factor of 1,000 (columns of only 0 and 1 are not judged)."""
    count, total, squares, low, high = summary
    zero_one = (low >= 0) & (high <= 1) & np.isclose(squares, total, rtol=1e-12, atol=0)
    continuous = ~zero_one
    if not continuous.any() or count[0] < 2:
        return []
    n = count[continuous]
    variance = np.maximum(squares[continuous] - total[continuous] ** 2 / n, 0.0) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant column: log sd = -inf, as in R
        logs = 0.5 * np.log(variance)
        spread = np.abs(logs[:, None] - logs[None, :])[np.tril_indices(len(logs), -1)]
    if not np.any(np.concatenate([np.abs(logs), spread]) > np.log(SCALE_TOLERANCE)):
        return []
    message = "Some predictor variables are on very different scales: consider rescaling"
    warnings.warn(message, ScaleWarning, stacklevel=4)
    return [message]
