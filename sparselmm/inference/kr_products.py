"""Kenward-Roger's products from the cross-products and the factor (:mod:`.kenward_roger`'s formulas): the
variance parameters' entries, what both routes share (B1 = Z'V^-1 X, X'V^-2 X, X'V^-3 X, M1 Y by solves),
and the dense route, which holds M1 = Z'V^-1 Z and G = C0 Lambda A^-1 Lambda' as (q, q) arrays."""

from __future__ import annotations

import numpy as np

from ..covariance import lower_triangle


class Entries:
    """The variance parameters' entries (term, a, b) and the action of D_r = I_m (x) E_ab on rows of a (q, c) array."""

    def __init__(self, covariance):
        self.terms = covariance.terms
        self.starts = np.concatenate([[0], np.cumsum([t.q for t in self.terms])]).astype(int)
        self.entries = [(index, a, b) for index, term in enumerate(self.terms) for a, b in lower_triangle(term.k)]

    def rows(self, index: int) -> slice:
        return slice(self.starts[index], self.starts[index + 1])

    def by_level(self, index: int, Y: np.ndarray) -> np.ndarray:
        """The term's rows of Y (q, c) as (levels, k, c)."""
        term = self.terms[index]
        return Y[self.rows(index)].reshape(term.m, term.k, -1)

    def apply(self, r: int, Y: np.ndarray) -> np.ndarray:
        """D_r Y, the term's rows only, shape (q_t, c)."""
        index, a, b = self.entries[r]
        blocks = self.by_level(index, Y)
        out = np.zeros_like(blocks)
        out[:, a] = blocks[:, b]
        out[:, b] = blocks[:, a]
        return out.reshape(blocks.shape[0] * blocks.shape[1], -1)

    def block_trace(self, r: int, blocks: np.ndarray) -> float:
        """tr(D_r B) for B given by its diagonal blocks over the term's levels, (m, k, k)."""
        _, a, b = self.entries[r]
        return float(blocks[:, a, a].sum()) if a == b else float(blocks[:, a, b].sum() + blocks[:, b, a].sum())


class Products:
    """What both ways share: B1 = Z'V^-1 X, Z'V^-2 X, X'V^-2 X, X'V^-3 X, and M1 Y by solves (module docstring)."""

    def __init__(self, fit):
        model, cp = fit.model, fit.model.crossprods
        self.n, self.q = fit.nobs, cp.ZtZ.shape[0]
        self.criterion = model.criterion(True)
        solution = self.criterion.solution(fit.theta)  # the model's solver now holds A(theta-hat)
        self.Lam = model.covariance.lambda_matrix(fit.theta)
        self.C0 = cp.ZtZ.tocsr()
        K = fit.K
        A_inv_K = self.solve(K)
        self.B1 = cp.ZtX - self.C0 @ (self.Lam @ K)
        self.NB1 = self.B1 - self.C0 @ (self.Lam @ A_inv_K)
        RtR = solution.RX.T @ solution.RX
        self.XV2X, self.XV3X = RtR - K.T @ K, RtR - K.T @ K - K.T @ A_inv_K

    def solve(self, B: np.ndarray) -> np.ndarray:
        """A^-1 B on the model's solver (which holds A at the fit's theta)."""
        with self.criterion.solver.threads():
            return self.criterion.solver.solve(B)

    def m1_times(self, Y: np.ndarray) -> np.ndarray:
        """Z'V^-1 Z Y = C0 Y - C0 Lambda A^-1 Lambda' C0 Y, Y (q, c)."""
        CY = self.C0 @ Y
        return CY - self.C0 @ (self.Lam @ self.solve(self.Lam.T @ CY))


class DenseProducts(Products):
    """M1 = Z'V^-1 Z and G = C0 Lambda A^-1 Lambda' held dense (q, q), at most three such arrays at once."""

    def __init__(self, fit):
        super().__init__(fit)
        A_inv = self.solve(np.eye(self.q))
        A_inv = (A_inv + A_inv.T) / 2.0
        self.frob = float(np.sum(A_inv**2))
        LAL = np.asarray((self.Lam @ (self.Lam @ A_inv).T).T)  # Lambda A^-1 Lambda' (q, q)
        del A_inv
        self.G = np.asarray(self.C0 @ LAL)
        del LAL
        self.M1 = -np.asarray(self.C0 @ self.G.T).T  # -G C0 (C0 symmetric) ...
        coo = self.C0.tocoo()
        np.add.at(self.M1, (coo.row, coo.col), coo.data)  # ... + C0

    def m1_times(self, Y: np.ndarray) -> np.ndarray:
        return self.M1 @ Y

    def traces(self, entries: Entries) -> np.ndarray:
        """tr(V^-1 G_r V^-1 G_s) for every pair, G_last = I (g, g)."""
        g = len(entries.entries) + 1
        rows = [entries.rows(index) for index, _, _ in entries.entries]
        trace = np.empty((g, g))
        for r in range(g - 1):
            for s in range(g - 1):
                DM_rs, DM_sr = entries.apply(r, self.M1[:, rows[s]]), entries.apply(s, self.M1[:, rows[r]])
                trace[r, s] = float(np.sum(DM_rs * DM_sr.T))
            trace[r, g - 1] = trace[g - 1, r] = entries.block_trace(r, self._V2_blocks(entries, r))
        trace[g - 1, g - 1] = self.n - self.q + self.frob
        return trace

    def _V2_blocks(self, entries: Entries, r: int) -> np.ndarray:
        """Diagonal blocks (m, k, k) of Z'V^-2 Z = M1 - G M1 over the levels of entry r's term (M1 symmetric)."""
        index = entries.entries[r][0]
        term, own = entries.terms[index], entries.rows(index)
        M_rows = self.M1[own].reshape(term.m, term.k, -1)
        G_rows = self.G[own].reshape(term.m, term.k, -1)
        level = np.arange(term.m)
        own_blocks = self.M1[own, own].reshape(term.m, term.k, term.m, term.k)[level, :, level, :]
        return own_blocks - np.einsum("jaq,jbq->jab", G_rows, M_rows)
