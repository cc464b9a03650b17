"""R's bases for a numeric variable: ``poly()``'s orthogonal polynomials and ``splines::ns``'s natural splines.

Each basis has parameters learned from the data a fit is made on and reused, unchanged, for
new data, as R's ``makepredictcall`` keeps ``attr(poly(x, 2), "coefs")`` and ns's knots:

- ``poly(x, degree)``: the three-term recurrence of the polynomials orthogonal over the
  fit's x. With ``alpha`` (degree,) and ``norm2`` (degree + 2,) as R stores them,
  P0 = 1, P1 = x - alpha[0], P(k+1) = (x - alpha[k]) Pk - (norm2[k+1] / norm2[k]) P(k-1),
  and column k (1-based) is Pk / sqrt(norm2[k+1]). On the fit's own x the columns are
  orthonormal; alpha and norm2 come from the QR of the centred Vandermonde matrix, as R's do.
- ``ns(x, df, knots, intercept, Boundary.knots)``: the cubic B-spline basis on the knots
  (boundary knots four times, interior knots once; interior knots at the quantiles of x for
  ``df``), made linear beyond the boundary knots, projected on the null space of the second
  derivative at both boundary knots (the natural constraint) by the QR of that constraint,
  exactly as splines::ns computes it. Its first column is dropped without an intercept.

Shapes: x is (n,); a basis is (n, k) with k = degree for poly, df for ns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import BSpline

from .errors import DataError

SPLINE_ORDER = 4  # cubic


@dataclass(frozen=True)
class PolyBasis:
    """The orthogonal polynomials of ``poly(x, degree)``: R's ``coefs`` (alpha, norm2)."""

    degree: int
    alpha: np.ndarray  # (degree,)
    norm2: np.ndarray  # (degree + 2,), norm2[0] = 1

    @classmethod
    def learn(cls, x: np.ndarray, degree: int, what: str) -> "PolyBasis":
        """R's poly(): alpha and norm2 from the QR of [1, x - mean, (x - mean)^2, ...] on the values present."""
        x = x[~np.isnan(x)]
        if degree < 1:
            raise DataError(f"{what}: the degree must be at least 1")
        if len(np.unique(x)) <= degree:
            raise DataError(f"{what}: 'degree' must be less than the number of unique points ({len(np.unique(x))})")
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):  # checked below
            mean = x.mean()
            centred = x - mean
            vandermonde = centred[:, None] ** np.arange(degree + 1)
            finite = np.isfinite(vandermonde).all()
            Q, R = np.linalg.qr(vandermonde) if finite else (vandermonde, vandermonde)
            Z = Q * np.diag(R)  # Q diag(R): independent of the sign convention of the reflections
            norm2 = np.sum(Z**2, axis=0)
            alpha = (np.sum(centred[:, None] * Z**2, axis=0) / norm2 + mean)[:degree]
        if not (finite and np.isfinite(norm2).all() and np.isfinite(alpha).all()):
            largest = float(np.max(np.abs(x))) if len(x) else float("nan")
            raise DataError(f"{what}: the polynomial's powers overflow or vanish in floating point (the largest "
                            f"|value| is {largest:.3g}); rescale the variable")
        return cls(degree, alpha, np.concatenate([[1.0], norm2]))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The basis at x (n,), (n, degree); NaN rows where x is NaN."""
        columns = [np.ones_like(x), x - self.alpha[0]]
        for k in range(1, self.degree):
            columns.append((x - self.alpha[k]) * columns[k] - (self.norm2[k + 1] / self.norm2[k]) * columns[k - 1])
        basis = np.column_stack(columns[1:])
        return basis / np.sqrt(self.norm2[2:])


def raw_powers(x: np.ndarray, degree: int) -> np.ndarray:
    """``poly(x, degree, raw = TRUE)``: x, x^2, ..., x^degree, (n, degree)."""
    return x[:, None] ** np.arange(1, degree + 1)


@dataclass(frozen=True)
class NaturalSplineBasis:
    """The basis of ``splines::ns``: interior knots, the two boundary knots and whether it has an intercept."""

    knots: np.ndarray  # (K,) interior knots
    boundary: np.ndarray  # (2,)
    intercept: bool

    @classmethod
    def learn(cls, x: np.ndarray, df=None, knots=None, intercept: bool = False, boundary=None,
              what: str = "ns()") -> "NaturalSplineBasis":
        """splines::ns's knots: ``knots`` as given, or ``df - 1 - intercept`` interior knots at the quantiles of
        the values inside the boundary knots (default: the range of the values present)."""
        x = x[~np.isnan(x)]
        if len(x) == 0:
            raise DataError(f"{what}: no values to place the knots on")
        boundary = np.sort(np.asarray(boundary if boundary is not None else [x.min(), x.max()], dtype=float))
        if knots is None:
            interior = 0 if df is None else int(df) - 1 - int(intercept)
            if interior < 0:
                raise DataError(f"{what}: df = {df} is too small; it must be at least {1 + int(intercept)}")
            inside = x[(x >= boundary[0]) & (x <= boundary[1])]
            probabilities = np.linspace(0, 1, interior + 2)[1:-1]
            knots = np.quantile(inside, probabilities) if interior else np.zeros(0)  # R's type 7 quantiles
        knots = np.sort(np.atleast_1d(np.asarray(knots, dtype=float)))
        return cls(knots, boundary, bool(intercept))

    @property
    def df(self) -> int:
        return len(self.knots) + 1 + int(self.intercept)

    def _all_knots(self) -> np.ndarray:
        return np.sort(np.concatenate([np.repeat(self.boundary, SPLINE_ORDER), self.knots]))

    def _bsplines(self, x: np.ndarray, derivative: int = 0) -> np.ndarray:
        """R's splineDesign(knots, x, 4, derivs): every cubic B-spline (or its derivative) at x, (n, K + 4)."""
        knots = self._all_knots()
        count = len(knots) - SPLINE_ORDER
        splines = BSpline(knots, np.eye(count), SPLINE_ORDER - 1, extrapolate=True)
        return np.atleast_2d(splines(x, nu=derivative)) if derivative else np.atleast_2d(splines(x))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The basis at x (n,), (n, df); NaN rows where x is NaN."""
        present = ~np.isnan(x)
        values = x[present]
        basis = np.zeros((len(values), len(self.knots) + SPLINE_ORDER))
        low, high = values < self.boundary[0], values > self.boundary[1]
        inside = ~(low | high)
        if inside.any():
            basis[inside] = self._bsplines(values[inside])
        for outside, pivot in ((low, self.boundary[0]), (high, self.boundary[1])):
            if outside.any():  # linear beyond the boundary: value and slope at the boundary knot
                at_pivot = np.vstack([self._bsplines(np.array([pivot])), self._bsplines(np.array([pivot]), 1)])
                basis[outside] = np.column_stack([np.ones(outside.sum()), values[outside] - pivot]) @ at_pivot
        constraint = self._bsplines(self.boundary, 2)  # (2, K + 4): second derivatives at the boundary knots
        if not self.intercept:
            constraint, basis = constraint[:, 1:], basis[:, 1:]
        Q = np.linalg.qr(constraint.T, mode="complete")[0]  # Householder, as R's qr (LINPACK dqrdc2)
        out = np.full((len(x), self.df), np.nan)
        out[present] = (basis @ Q)[:, 2:]
        return out
