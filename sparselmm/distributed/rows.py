"""A Dask fit's row-level results (fitted values, residuals, leverages, predictions) as Dask Series aligned
with the partitions, each computed where its partition lives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg as la
import scipy.sparse as sp

from ..errors import DataError, NoRowsError
from ..predict import Included, linear_predictor
from . import graph
from .graph import is_dask_dataframe


@dataclass
class _Pieces:
    """What a partition needs to compute a fit's row-level results, broadcast to each worker once."""

    spec: object
    beta: np.ndarray
    included: Included  # the random effects the values include (all, for fitted values and residuals)
    what: str  # fitted, residuals, pearson (residuals times sqrt(w)), hatvalues or predict
    allow_new_levels: bool = True
    hat: tuple | None = None  # (Lambda, K, RX^-1, the SchurInverse) for leverages


class DistributedRows:
    """A fit's row-level results on a Dask DataFrame, as Dask Series aligned with its partitions.

    Each is computed on demand (``.compute()``, or any Dask operation on it), one
    task per partition: the partition is coded by the fit's spec and combined with
    beta and the random effects (and for leverages, the parts of A^-1), which the
    graph holds once. ``fitted``, ``residuals`` and ``hatvalues`` are indexed by
    the rows used (those without a missing value), as the in-memory results are
    ordered; ``predict`` gives every row of ``newdata``, NaN where a column is missing.
    """

    def __init__(self, fit):
        self.fit = fit

    def fitted(self):
        return self._rows(self.fit.design.data, "fitted")

    def residuals(self):
        return self._rows(self.fit.design.data, "residuals")

    def hatvalues(self):
        fit = self.fit
        lam = fit.model.covariance.lambda_matrix(fit.theta)
        RX_inv = la.solve_triangular(fit.solution.RX, np.eye(fit.solution.RX.shape[0]))
        return self._rows(fit.design.data, "hatvalues", hat=(sp.csr_matrix(lam), fit.K, RX_inv, fit._inverse))

    def predict(self, newdata=None, re_form=None, allow_new_levels: bool = False):
        """lme4's predict on a Dask DataFrame (default: the rows fitted, lmer's offset= included)."""
        included = Included.of(self.fit, re_form)
        if newdata is None:
            return self._rows(self.fit.design.data, "fitted", included=included)
        if not is_dask_dataframe(newdata):
            raise DataError("predict on a Dask fit takes a Dask DataFrame as newdata (or none: the rows fitted)")
        return self._rows(newdata, "predict", included=included, allow_new_levels=allow_new_levels)

    def scaled_residual_quantiles(self, probabilities=(0.0, 0.25, 0.5, 0.75, 1.0), samples: int = 4096):
        """Exact quantiles (R's type 7, numpy's default) of Pearson residuals / sigma, for the summary, in two passes
        that bring the client a sketch and a few brackets of values, never all of them.

        Pass 1: per partition, its count and every s-th of its sorted values (``samples`` of them, first
        and last included). From the sketch every order statistic needed is bracketed: a value's rank over
        all rows is known to within the sum of the steps s, so a bracket twice that wide holds it. Pass 2:
        per partition, how many values fall below each bracket and the values inside it; the order statistic
        is then read off exactly (a bracket that missed, which ties could cause, is widened and read again).
        """
        dask = graph.dask_module()
        pearson = self._rows(self.fit.design.data, "pearson")  # sqrt(w) (y - mu): lme4's summary scales these
        scaled = (pearson / self.fit.sigma).to_delayed()
        sketches = graph.compute(dask, [dask.delayed(_sketch)(part, samples) for part in scaled])
        n = sum(count for count, _, _ in sketches)
        positions = (n - 1) * np.asarray(probabilities, dtype=float)
        ranks = sorted({int(r) for h in positions for r in (np.floor(h), min(np.floor(h) + 1, n - 1))})
        values = np.concatenate([v for _, v, _ in sketches])
        weights = np.concatenate([np.full(len(v), step, dtype=float) for _, v, step in sketches])
        order = np.argsort(values, kind="stable")
        values, cumulative = values[order], np.cumsum(weights[order])
        margin = 2.0 * sum(step for _, v, step in sketches if len(v))
        found = {}
        while len(found) < len(ranks):
            wanted = [r for r in ranks if r not in found]
            brackets = [(values[min(np.searchsorted(cumulative, r - margin), len(values) - 1)],
                         values[min(np.searchsorted(cumulative, r + margin), len(values) - 1)]) for r in wanted]
            brackets = [(-np.inf if r - margin <= 0 else lo, np.inf if r + margin >= n - 1 else hi)
                        for r, (lo, hi) in zip(wanted, brackets)]
            counts = graph.compute(dask, [dask.delayed(_bracketed)(part, brackets) for part in scaled])
            for j, rank in enumerate(wanted):
                below = sum(c[j][0] for c in counts)
                inside = np.sort(np.concatenate([c[j][1] for c in counts]))
                if below <= rank < below + len(inside):
                    found[rank] = inside[rank - below]
            margin *= 4
        low = np.floor(positions).astype(int)
        high = np.minimum(low + 1, n - 1)
        at = lambda r: np.array([found[int(i)] for i in r])  # noqa: E731
        return at(low) + (positions - low) * (at(high) - at(low))

    def _rows(self, data, what: str, included=None, allow_new_levels: bool = True, hat=None):
        if data is None:
            self.fit.design.require_rows(f"{what} of rows")
        dask = graph.dask_module()
        fit = self.fit
        included = Included.of(fit, None) if included is None else included
        pieces = _Pieces(fit.design.spec, fit.solution.beta, included, what, allow_new_levels, hat)
        return data.map_partitions(_partition_rows, graph.shared(dask, pieces), meta=pd.Series(dtype=float, name=what),
                                   enforce_metadata=False)


def _partition_rows(part: pd.DataFrame, pieces: _Pieces) -> pd.Series:
    spec, what = pieces.spec, pieces.what
    predicting = what == "predict"
    if len(part) == 0:
        return pd.Series(np.zeros(0), index=part.index, name=what)
    included = pieces.included
    try:  # new data as lme4's predict codes it, or the fit's rows
        coded = (included.code(spec, part) if predicting else
                 spec.code(part, weights=spec.weights, offset=spec.offset))
    except NoRowsError:
        index = part.index if predicting else part.index[:0]
        return pd.Series(np.full(len(index), np.nan), index=index, name=what)
    if what == "hatvalues":
        values = _leverages(coded, spec, pieces.hat)
    else:
        random = coded if predicting else included.restrict(coded)
        if predicting and not pieces.allow_new_levels:
            included.refuse_new_levels(spec, random, part)
        values = linear_predictor(pieces.beta, coded) + included.random_part(random)
        if what in ("residuals", "pearson"):
            values = coded.y - values
        if what == "pearson" and coded.weights is not None:
            values = np.sqrt(coded.weights) * values
    if predicting:
        out = np.full(len(part), np.nan)
        out[coded.rows] = values
        return pd.Series(out, index=part.index, name=what)
    return pd.Series(values, index=part.index[coded.rows], name=what)


def _sketch(values: pd.Series, samples: int) -> tuple:
    """(count, every step-th of the sorted values with the last, step) of one partition."""
    ordered = np.sort(values.to_numpy(dtype=float))
    if not len(ordered):
        return 0, ordered, 0
    step = max(1, -(-len(ordered) // samples))
    picked = ordered[::step]
    return len(ordered), np.append(picked, ordered[-1]) if (len(ordered) - 1) % step else picked, step


def _bracketed(values: pd.Series, brackets: list) -> list:
    """Per bracket (lo, hi): how many values are below lo, and those within [lo, hi]."""
    values = values.to_numpy(dtype=float)
    return [(int(np.sum(values < lo)), values[(values >= lo) & (values <= hi)]) for lo, hi in brackets]


def _leverages(coded, spec, hat) -> np.ndarray:
    """h_i = zt_i' A^-1 zt_i + |RX^-T (x_i - K' zt_i)|^2 for the partition's rows, as postfit.hatvalues (with
    prior weights, the rows of W^(1/2) Z and W^(1/2) X)."""
    lam, K, RX_inv, inverse = hat
    ZL = (coded.Z(spec.terms) @ lam).tocsr()
    X = coded.X
    if coded.weights is not None:
        root = np.sqrt(coded.weights)
        ZL, X = sp.diags(root) @ ZL, X * root[:, None]
    return inverse.quadratic_forms(ZL) + np.sum(((X - ZL @ K) @ RX_inv) ** 2, axis=1)
