"""Standard errors and intervals of predictions: ``predict(se_fit=True, interval=...)``.

lme4 1.1-31's predict has no ``se.fit`` (it warns and ignores it), so these are this package's,
formula by formula. With x_i the row's fixed-effects columns, z_i its included random-effects
columns (``re_form``), zt_i = Lambda' z_i and C the matrix of the penalized least squares system,

    C = [A        Lambda'Z'X]      A = Lambda'Z'Z Lambda + I      (weighted products where weighted)
        [X'Z Lambda      X'X]

the prediction x_i'beta + z_i'b is linear in y, and its error (with b's conditional distribution)
has variance

    se_fit_i^2 = sigma^2 [zt_i; x_i]' C^-1 [zt_i; x_i]
               = sigma^2 (zt_i' A^-1 zt_i + |RX^-T (x_i - K' zt_i)|^2),   K = A^-1 Lambda'Z'X,

Henderson's prediction error variance: the conditional variances of b (condVar), the variance
of beta-hat (vcov) and their covariance together; it is sigma^2 times the row's leverage, and
for ``re_form="~0"`` it is x_i' vcov x_i. A level the fit never saw, or a missing grouping value
(with ``allow_new_levels``), contributes no conditional mode and adds its term's covariance
z_i' Sigma z_i (VarCorr) instead: a new level's effect is unknown.

    interval="confidence":  fit -+ z_(1+level)/2 se_fit
    interval="prediction":  fit -+ z_(1+level)/2 sqrt(se_fit^2 + sigma^2 / w_i)

with w_i the prior weight of a fitted row (1 for new data), and normal quantiles (the residual
degrees of freedom of a mixed model are not defined; see fit.coef_table(ddf=...) for tests).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg as la
import scipy.sparse as sp
from scipy import stats

from . import predict as _predict
from .data import row_index
from .errors import SparseLMMError

INTERVALS = ("confidence", "prediction")


def predict_with_intervals(fit, newdata, re_form, allow_new_levels: bool, se_fit: bool, interval, level: float):
    """The predictions with the columns asked for: fit, se_fit, lwr, upr (a DataFrame, laid out as predict)."""
    if interval is not None and interval not in INTERVALS:
        raise SparseLMMError(f"interval must be None, 'confidence' or 'prediction', not {interval!r}")
    if not (isinstance(level, float) and 0 < level < 1):
        raise SparseLMMError(f"level must be a probability such as 0.95, not {level!r}")
    rows = _predict.prediction_rows(fit, newdata, re_form, allow_new_levels)
    values = _predict.linear_predictor(fit.solution.beta, rows.coded) + rows.included.random_part(rows.coded)
    variance = prediction_variance(fit, rows)
    columns = {"fit": values}
    if se_fit:
        columns["se_fit"] = np.sqrt(variance)
    if interval is not None:
        spread = variance if interval == "confidence" else variance + fit.sigma**2 / _weights(fit, rows)
        half = stats.norm.ppf((1 + level) / 2) * np.sqrt(spread)
        columns["lwr"], columns["upr"] = values - half, values + half
    if rows.nrows is None:
        return pd.DataFrame({name: fit.on_rows(column, name) for name, column in columns.items()})
    return pd.DataFrame({name: _predict.spread(column, rows) for name, column in columns.items()},
                        index=row_index(newdata))


def prediction_variance(fit, rows) -> np.ndarray:
    """se_fit^2 per row coded (see the module's docstring)."""
    ZL, unknown = _random_rows(fit, rows)
    K, RX_inv = fit.K, la.solve_triangular(fit.solution.RX, np.eye(fit.solution.RX.shape[0]))
    fixed = np.sum(((rows.coded.X - ZL @ K) @ RX_inv) ** 2, axis=1)
    random = fit._inverse.quadratic_forms(ZL) if ZL.nnz else np.zeros(rows.coded.nobs)
    return fit.sigma**2 * (fixed + random) + unknown


def _random_rows(fit, rows) -> tuple[sp.csr_matrix, np.ndarray]:
    """(Z Lambda over the included columns of known levels (n, q), the covariance z' Sigma z of unknown ones)."""
    terms, n = fit.design.terms, rows.coded.nobs
    offsets = np.concatenate([[0], np.cumsum([t.q for t in terms])])
    templates = fit.model.covariance.templates(fit.theta)
    entries, unknown = [], np.zeros(n)
    for position, (index, columns) in enumerate(zip(rows.included.terms, rows.included.columns)):
        term, level = terms[index], rows.coded.codes[position]
        matrix = np.zeros((n, term.k))
        matrix[:, columns] = rows.coded.matrices[position][:, columns]
        known = level >= 0
        r, c = np.nonzero(matrix[known])
        entries.append((np.flatnonzero(known)[r], offsets[index] + level[known][r] * term.k + c, matrix[known][r, c]))
        Sigma = fit.sigma**2 * templates[index] @ templates[index].T
        unknown[~known] += np.einsum("ij,jk,ik->i", matrix[~known], Sigma, matrix[~known])
    if not entries:
        return sp.csr_matrix((n, offsets[-1])), unknown
    row, col, value = (np.concatenate(parts) for parts in zip(*entries))
    Z = sp.csr_matrix((value, (row, col)), shape=(n, offsets[-1]))
    return (Z @ fit.model.covariance.lambda_matrix(fit.theta)).tocsr(), unknown


def _weights(fit, rows) -> np.ndarray:
    """Prior weights of the rows predicted: the fit's for its own rows, 1 for new data."""
    if rows.nrows is None and fit.design.weights is not None:
        return fit.design.weights
    return np.ones(rows.coded.nobs)
