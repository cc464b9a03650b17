"""Kenward-Roger's traces for scalar-term models with many levels in the first term, without any q x q matrix.

When every random-effects term is scalar ((1 | g) or (0 + x | g)) the first term's columns Z1 never
meet within a row, so V1 = I + lambda1^2 Z1 Z1' is inverted level by level: with c = diag(Z1'Z1)
and e = 1 / (1 + lambda1^2 c), V1^-k = I - Z1 diag(D_k) Z1', D_k = lambda1^2 e (1 + e + ... + e^(k-1)).
The later terms Z2 (q2 columns, Lambda2 diagonal) enter by Woodbury once more:

    V^-1 = V1^-1 - U S^-1 U',   U = V1^-1 Z2 Lambda2,   S = I + Lambda2 R22(1) Lambda2,
    R22(k) = Z2'V1^-k Z2 = C22 - C21 diag(D_k) C12,      F = Z1'U = diag(e) C12 Lambda2 (sparse, q1 x q2),

so that the blocks of M1 = Z'V^-1 Z are  M1_11 = diag(c e) - F S^-1 F',  M1_12 = diag(e) C12 - F S^-1 Hm',
M1_22 = R22(1) - Hm S^-1 Hm' (Hm = R22(1) Lambda2), and each trace pbkrtest needs is a sum over q2 x q2
products (F'F, F' diag(e) F, ...):

    tr(S G_1 S G_1) = ||M1_11||_F^2 = sum (c e)^2 - 2 tr(S^-1 F' diag(c e) F) + tr((S^-1 F'F)^2)
    tr(S G_1 S G_s) = ||M1_12[:, s]||_F^2,   tr(S G_r S G_s) = ||M1_22[r, s]||_F^2 (later terms)
    tr(S G_1 S)     = sum c e^2 - 2 tr(S^-1 F' diag(e) F) + tr(S^-1 U'U S^-1 F'F),  U'U = Lambda2 R22(2) Lambda2
    tr(S^2)         = n - sum c D_2 - 2 tr(S^-1 Lambda2 R22(3) Lambda2) + tr((S^-1 U'U)^2)

(before the sigma^-4 scaling). Memory: a few q2 x q2 arrays and the sparse q1 x q2 ones; time
O(nnz(C12) q2 + q2^3). The X-side products (P, Q) are solves with p columns, as on the dense path.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .kr_products import Products


class BlockedProducts(Products):
    """Kenward-Roger's products for scalar-term models (see the module's docstring)."""

    def __init__(self, fit):
        super().__init__(fit)
        covariance = fit.model.covariance
        self.terms = covariance.terms
        q1 = self.terms[0].q
        lam = self.Lam.diagonal()
        lam1, self.lam2 = float(fit.theta[covariance.offsets[0]]), lam[q1:]
        self.c = self.C0[:q1, :q1].diagonal()
        self.e = 1.0 / (1.0 + lam1**2 * self.c)
        self.D = [None] + [lam1**2 * self.e * sum(self.e**i for i in range(k)) for k in (1, 2, 3)]
        self.C12 = sp.csr_matrix(self.C0[:q1, q1:])
        C22 = self.C0[q1:, q1:].toarray()
        R = [None] + [C22 - np.asarray((self.C12.T @ sp.diags(self.D[k]) @ self.C12).todense()) for k in (1, 2, 3)]
        self.R = R
        S = np.eye(len(self.lam2)) + self.lam2[:, None] * R[1] * self.lam2[None, :]
        self.S_inv = np.linalg.inv(S)
        self.F = sp.diags(self.e) @ self.C12 @ sp.diags(self.lam2)  # Z1'U (q1, q2)
        self.Hm = R[1] * self.lam2[None, :]  # Z2'U
        self.UU = self.lam2[:, None] * R[2] * self.lam2[None, :]

    def _FtF(self, weights=None) -> np.ndarray:
        """F' diag(weights) F (q2, q2)."""
        left = self.F if weights is None else sp.diags(weights) @ self.F
        return np.asarray((self.F.T @ left).todense())

    def traces(self, entries) -> np.ndarray:
        """tr(V^-1 G_r V^-1 G_s) for every pair (one entry per scalar term), G_last = I (g, g)."""
        g = len(entries.entries) + 1
        q1 = self.terms[0].q
        later = [slice(entries.starts[t] - q1, entries.starts[t + 1] - q1) for t in range(1, len(self.terms))]
        S_inv, Hm, c, e = self.S_inv, self.Hm, self.c, self.e
        FtF = self._FtF()
        SF = S_inv @ FtF
        M22 = self.R[1] - Hm @ S_inv @ Hm.T
        trace = np.empty((g, g))
        trace[0, 0] = np.sum((c * e) ** 2) - 2.0 * np.sum(S_inv * self._FtF(c * e)) + np.sum(SF * SF.T)
        E12tF = np.asarray((self.C12.T @ sp.diags(e**2) @ self.C12).todense()) * self.lam2[None, :]  # (E12)'F
        for t, cols in enumerate(later, start=1):
            E12 = sp.diags(e) @ self.C12[:, cols]
            Hs = Hm[cols]
            trace[0, t] = trace[t, 0] = (E12.multiply(E12).sum() - 2.0 * np.sum((E12tF[cols] @ S_inv) * Hs)
                                         + np.sum((Hs @ S_inv @ FtF @ S_inv) * Hs))
            for u, other in enumerate(later, start=1):
                trace[t, u] = np.sum(M22[cols, other] ** 2)
        W2 = S_inv @ self.UU @ S_inv
        trace[0, g - 1] = trace[g - 1, 0] = np.sum(c * e**2) - 2.0 * np.sum(S_inv * self._FtF(e)) + np.sum(W2 * FtF)
        H2 = self.R[2] * self.lam2[None, :]
        diagonal = np.diag(self.R[2]) - 2.0 * np.sum((H2 @ S_inv) * Hm, axis=1) + np.sum((Hm @ W2) * Hm, axis=1)
        for t, cols in enumerate(later, start=1):
            trace[t, g - 1] = trace[g - 1, t] = float(diagonal[cols].sum())
        SU = S_inv @ self.UU
        trace[g - 1, g - 1] = (self.n - np.sum(c * self.D[2])
                               - 2.0 * np.sum(S_inv * (self.lam2[:, None] * self.R[3] * self.lam2[None, :]))
                               + np.sum(SU * SU.T))
        return trace
