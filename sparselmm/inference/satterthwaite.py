"""Satterthwaite's denominator degrees of freedom, as lmerTest's ``contest1D`` and ``contestMD`` compute them.

For a contrast l (p,) with variance v = l' V l (V = vcov(beta)), lmerTest's df are

    nu = 2 v^2 / (g' A g),   g_i = l' J_i l,

with J_i = d V / d varpar_i and A = vcov_varpar (see :mod:`sparselmm.inference.varpar`). For a q-row
L the F statistic is built on the eigen-decomposition L V L' = P diag(d) P': each eigen-direction
m gets nu_m as above, and the F test's DenDF is 2 E / (E - q) with E = sum nu_m / (nu_m - 2)
(2 when any nu_m <= 2; their mean when all agree within 1e-8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = np.sqrt(np.finfo(float).eps)  # lmerTest's contestMD(eps): eigenvalues of L V L' kept


@dataclass(frozen=True)
class TTest:
    """One contrast: estimate, standard error, df, t value (p-values are left to the tables)."""

    estimate: float
    se: float
    df: float

    @property
    def t(self) -> float:
        return self.estimate / self.se


@dataclass(frozen=True)
class FTest:
    """A joint test of q contrasts: F (its ``mean_sq`` is F sigma^2, lmerTest's Mean Sq), NumDF q, DenDF."""

    F: float
    numdf: int
    dendf: float
    sigma: float

    @property
    def mean_sq(self) -> float:
        return self.F * self.sigma**2


def contrast_df(l: np.ndarray, derivatives) -> float:
    """Satterthwaite's df of l'beta (lmerTest's contest1D)."""
    v = float(l @ derivatives.vcov_beta @ l)
    g = np.einsum("i,kij,j->k", l, derivatives.jacobian, l)
    return 2.0 * v**2 / float(g @ derivatives.vcov_varpar @ g)


def t_test(l: np.ndarray, beta: np.ndarray, derivatives) -> TTest:
    """The t test of l'beta = 0 with Satterthwaite's df."""
    l = np.asarray(l, dtype=float)
    return TTest(float(l @ beta), float(np.sqrt(l @ derivatives.vcov_beta @ l)), contrast_df(l, derivatives))


def f_test(L: np.ndarray, beta: np.ndarray, derivatives, sigma: float) -> FTest | None:
    """The F test of L beta = 0 (L (q, p)) with Satterthwaite's DenDF (lmerTest's contestMD); None if L V L' = 0."""
    L = np.atleast_2d(np.asarray(L, dtype=float))
    if L.shape[0] == 1:
        test = t_test(L[0], beta, derivatives)
        return FTest(test.t**2, 1, test.df, sigma)
    d, P = np.linalg.eigh(L @ derivatives.vcov_beta @ L.T)
    d, P = d[::-1], P[:, ::-1]  # R's eigen: decreasing
    keep = d > max(EPS * d[0], 0.0)
    q = int(keep.sum())
    if q == 0:
        return None
    PtL = (P.T @ L)[:q]
    if q == 1:
        test = t_test(PtL[0], beta, derivatives)
        return FTest(test.t**2, 1, test.df, sigma)
    F = float(np.sum((PtL @ beta) ** 2 / d[:q]) / q)
    nu = np.array([contrast_df(row, derivatives) for row in PtL])
    return FTest(F, q, combined_df(nu), sigma)


def combined_df(nu: np.ndarray, tol: float = 1e-8) -> float:
    """lmerTest's get_Fstat_ddf: one DenDF from the df of q orthogonal directions."""
    if len(nu) == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    E = float(np.sum(nu / (nu - 2)))
    return 2.0 * E / (E - len(nu))
