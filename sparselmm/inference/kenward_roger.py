"""Kenward and Roger's adjusted covariance of beta and denominator df, as pbkrtest computes them, without n x n matrices.

pbkrtest (``vcovAdj``) writes Sigma = sum_r gamma_r G_r with gamma = the lower triangle of each term's
covariance block (lme4's VarCorr), then sigma^2; G_r = Z (I_m (x) E_r) Z' for a term's entry (E_r has
ones at (a, b) and (b, a)), G_last = I_n. With S = Sigma^-1 and Phi = vcov(beta) = (X'SX)^-1 it forms

    P_r = -X'S G_r S X,   Q_rs = X'S G_r S G_s S X,   IE2_rs = tr(S G_r S G_s) - 2 tr(Phi Q_rs) + tr(Phi P_r Phi P_s),
    W = 2 IE2^-1,   U = sum_rs W_rs (Q_rs - P_r Phi P_s),   vcovAdj = Phi + 2 Phi U Phi

from n x n matrices (Sigma^-1 dense, G_r S for each r), which is why it stops at a few thousand rows.
Here S = V^-1 / sigma^2 with V^-1 = I - Z Lambda A^-1 Lambda' Z' (Woodbury), so that everything is
in the cross-products (C0 = Z'Z sparse (q, q), Z'X (q, p), X'X) and A^-1 = solver.solve(I) (the
dense route, for models with a vector-valued term):

    Z'V^-1 Z = M1 = C0 - C0 (Lambda A^-1 Lambda') C0     Z'V^-1 X = B1 = Z'X - C0 Lambda K
    Z'V^-2 X = B1 - C0 Lambda A^-1 K                     X'V^-2 X = RX'RX - K'K
    X'V^-3 X = RX'RX - K'K - K'A^-1 K                    tr(V^-2) = n - q + ||A^-1||_F^2
    diagonal blocks of Z'V^-2 Z = those of M1 - (C0 Lambda A^-1 Lambda') M1

(K = A^-1 Lambda'Z'X, Lambda'B1 = K). Every trace tr(S G_r S G_s) is a sum over two terms' blocks
of M1. Nothing is a finite difference. The cost is that of A^-1 and M1 held dense: at most three
q x q arrays at once (q = number of random effects) and O(q^2 nnz) work, whatever n, up to
``MAX_RANDOM_EFFECTS`` columns (memory 3 q^2 doubles: 0.9 GB at 6,000), beyond which it raises.
Models whose terms are all scalar take :mod:`.kr_blocked`'s route instead, which holds only the
later terms' columns dense (q2 up to MAX_RANDOM_EFFECTS) and the first term's as vectors: a
million rows with 51,000 random effects take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..errors import SparseLMMError
from .kr_blocked import BlockedProducts
from .kr_products import DenseProducts, Entries

MAX_RANDOM_EFFECTS = 6_000  # columns held dense: all q (3 q^2 doubles), or the scalar-term route's later ones
SCALAR_ROUTE = True  # scalar-term models take kr_blocked's route (faster, and past the dense limit)
CONDITION_TOL = 1e-10  # pbkrtest: a generalized inverse of IE2 below this min |eigenvalue|


@dataclass(frozen=True)
class AdjustedCovariance:
    """pbkrtest's vcovAdj: ``vcov_adj`` (p, p) with its attributes ``P`` (list of (p, p)), ``W`` and ``condi``;
    ``phi`` = vcov(beta); ``ggamma`` and ``names`` the variance parameters (variance scale)."""

    vcov_adj: np.ndarray
    phi: np.ndarray
    P: list
    W: np.ndarray
    condi: float
    ggamma: np.ndarray
    names: list


@dataclass(frozen=True)
class KRTest:
    """pbkrtest's KRmodcomp of L beta = 0: ``F`` (scaled), ``F_unscaled``, ``numdf``, ``dendf``, ``scaling``, ``aux``."""

    F: float
    F_unscaled: float
    numdf: int
    dendf: float
    scaling: float
    aux: dict

    @property
    def p_value(self) -> float:
        return float(stats.f.sf(self.F, self.numdf, self.dendf))


def vcov_adjusted(fit) -> AdjustedCovariance:
    """pbkrtest's ``vcovAdj(fit)`` (see the module's docstring); the fit must be REML."""
    if not fit.REML:
        raise SparseLMMError("Kenward-Roger's method is only available for REML fits: refit with REML=True")
    covariance = fit.model.covariance
    entries = Entries(covariance)
    products = _products(fit)
    phi = fit.vcov.to_numpy()
    P, Q, IE2 = _kr_matrices(products, entries, phi, float(fit.sigma))
    eigen = np.linalg.eigvalsh(IE2)
    condi = float(np.min(np.abs(eigen)))
    W = 2.0 * (np.linalg.inv(IE2) if condi > CONDITION_TOL else np.linalg.pinv(IE2))
    W = (W + W.T) / 2.0
    g = len(P)
    U = sum(W[r, s] * (Q[r][s] - P[r] @ phi @ P[s]) for r in range(g) for s in range(g))
    vcov_adj = phi + 2.0 * phi @ U @ phi
    return AdjustedCovariance((vcov_adj + vcov_adj.T) / 2.0, phi, P, W, condi, _ggamma(fit, entries),
                              _ggamma_names(fit, entries))


def _products(fit):
    """Scalar-term models whose later terms have at most MAX_RANDOM_EFFECTS columns: the first term's elimination
    (:mod:`.kr_blocked`); other models up to MAX_RANDOM_EFFECTS random effects: the dense products."""
    q = fit.model.crossprods.ZtZ.shape[0]
    terms = fit.model.covariance.terms
    scalar = all(t.k == 1 for t in terms)
    if SCALAR_ROUTE and scalar and q - terms[0].q <= MAX_RANDOM_EFFECTS:
        return BlockedProducts(fit)
    if q <= MAX_RANDOM_EFFECTS:
        return DenseProducts(fit)
    if scalar:
        reason = (f"its {q - terms[0].q} random effects after the first term are held dense, up to "
                  f"{MAX_RANDOM_EFFECTS}")
    else:
        reason = (f"Z'V^-1 Z is held dense (q x q) up to {MAX_RANDOM_EFFECTS} random effects, and this model has {q} "
                  "(a model whose terms are all scalar, (1 | g) or (0 + x | g), can have more)")
    raise SparseLMMError(f"Kenward-Roger cannot be computed here for this model: {reason}; use "
                         "ddf='Satterthwaite', which needs no such matrix")


def _kr_matrices(products, entries: Entries, phi: np.ndarray, sigma: float):
    """P (list of (p, p)), Q (nested list, Q[r][s] (p, p)) and IE2 (g, g), g = variance parameters + 1."""
    B1, q = products.B1, products.q
    s4, s6 = sigma**-4, sigma**-6
    g = len(entries.entries) + 1
    rows = [entries.rows(index) for index, _, _ in entries.entries]
    DB = [entries.apply(r, B1) for r in range(g - 1)]  # D_r B1 on the term's rows (q_t, p)
    P = [-s4 * B1[rows[r]].T @ DB[r] for r in range(g - 1)] + [-s4 * products.XV2X]
    MDB = []  # M1 D_s B1 (q, p)
    for s in range(g - 1):
        full = np.zeros((q, B1.shape[1]))
        full[rows[s]] = DB[s]
        MDB.append(products.m1_times(full))
    Q = [[None] * g for _ in range(g)]
    for r in range(g - 1):
        for s in range(g - 1):
            Q[r][s] = s6 * DB[r].T @ MDB[s][rows[r]]
        Q[r][g - 1] = s6 * DB[r].T @ products.NB1[rows[r]]
        Q[g - 1][r] = Q[r][g - 1].T
    Q[g - 1][g - 1] = s6 * products.XV3X
    trace = s4 * products.traces(entries)  # tr(S G_r S G_s)
    IE2 = np.array([[trace[r, s] - 2.0 * np.sum(phi * Q[r][s]) + np.sum((phi @ P[r]) * (P[s] @ phi))
                     for s in range(g)] for r in range(g)])
    return P, Q, (IE2 + IE2.T) / 2.0


def _ggamma(fit, entries: Entries) -> np.ndarray:
    """pbkrtest's ggamma: each term's covariance entries (lower triangle, column by column), then sigma^2."""
    covs = fit.model.covariance.covariances(fit.theta, fit.sigma)
    return np.array([covs[index][a, b] for index, a, b in entries.entries] + [fit.sigma**2])


def _ggamma_names(fit, entries: Entries) -> list:
    labels = fit.model.covariance.group_labels()
    names = []
    for index, a, b in entries.entries:
        columns = entries.terms[index].columns
        names.append(f"var({columns[a]} | {labels[index]})" if a == b
                     else f"cov({columns[b]}, {columns[a]} | {labels[index]})")
    return names + ["sigma^2"]


def kr_adjust(adjusted: AdjustedCovariance, L: np.ndarray, beta: np.ndarray, q: int | None = None) -> KRTest:
    """pbkrtest's .KR_adjust for L beta = 0 (L (rows, p)): the scaled F test and Kenward-Roger's DenDF.

    ``q`` is L's rank (pbkrtest's rankMatrix) unless given; lmerTest's Lb_ddf for one row is the same.
    """
    L = np.atleast_2d(np.asarray(L, dtype=float))
    phi = adjusted.phi
    q = int(np.linalg.matrix_rank(L)) if q is None else q
    Theta = L.T @ np.linalg.solve(L @ phi @ L.T, L)
    u = [Theta @ phi @ P @ phi for P in adjusted.P]
    traces = np.array([np.trace(ui) for ui in u])
    W = adjusted.W
    A1 = float(traces @ W @ traces)
    A2 = float(sum(W[i, j] * np.sum(u[i] * u[j].T) for i in range(len(u)) for j in range(len(u))))
    B = (A1 + 6.0 * A2) / (2.0 * q)
    g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
    denominator = 3.0 * q + 2.0 * (1.0 - g)
    c1, c2, c3 = g / denominator, (q - g) / denominator, (q + 2 - g) / denominator
    V0, V1, V2 = 1.0 + c1 * B, 1.0 - c2 * B, 1.0 - c3 * B
    V0 = 0.0 if abs(V0) < 1e-10 else V0
    ratio = 1.0 if abs(1.0 - A2 / q) < 1e-14 and abs(V1) < 1e-14 else (1.0 - A2 / q) / V1
    rho = ratio**2 * V0 / V2 / q
    df2 = 4.0 + (q + 2.0) / (q * rho - 1.0)
    scaling = 1.0 if abs(df2 - 2.0) < 0.01 else df2 * (1.0 - A2 / q) / (df2 - 2.0)
    Lb = L @ beta
    wald = float(Lb @ np.linalg.solve(L @ adjusted.vcov_adj @ L.T, Lb))
    aux = dict(A1=A1, A2=A2, V0=V0, V1=V1, V2=V2, rho=rho, **{"F.scaling": scaling})
    return KRTest(scaling * wald / q, wald / q, q, df2, scaling, aux)
