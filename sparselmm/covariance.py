"""The relative covariance factor Lambda(theta) and the variance components it implies.

Each term has a k x k lower-triangular template T; Lambda repeats T once per
level of the term's grouping factor, so Lambda is block diagonal and
Var(b) = sigma^2 Lambda Lambda'. theta holds each template's lower triangle
column by column (lme4's order); diagonal entries are bounded below by 0.
Lambda is built once with a pattern holding every template entry; a new theta
only refills its values, so its structure never changes under the factorization.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

SINGULAR_TOL = 1e-4  # lme4's isSingular(tol)


def lower_triangle(k: int) -> list[tuple[int, int]]:
    """(row, col) of a k x k lower triangle, column by column: theta's order within a term."""
    return [(i, j) for j in range(k) for i in range(j, k)]


class CovarianceStructure:
    """Maps theta to Lambda (q x q, sparse) and to lme4's variance components."""

    def __init__(self, terms):
        self.terms = tuple(terms)
        self.sizes = [t.k * (t.k + 1) // 2 for t in self.terms]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self._triangles = [tuple(np.array(index, dtype=int).reshape(-1, 2).T) for index in
                           (lower_triangle(t.k) for t in self.terms)]
        self._lambda = self._pattern()

    @property
    def n_theta(self) -> int:
        return int(self.offsets[-1])

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds of theta: 0 on template diagonals, -inf elsewhere."""
        return np.array([0.0 if i == j else -np.inf for t in self.terms for i, j in lower_triangle(t.k)])

    @property
    def upper(self) -> np.ndarray:
        return np.full(self.n_theta, np.inf)

    def is_singular(self, theta: np.ndarray) -> bool:
        """lme4's isSingular: a template diagonal entry of theta below 1e-4."""
        return bool(np.any(np.asarray(theta)[self.lower == 0.0] < SINGULAR_TOL))

    @property
    def theta0(self) -> np.ndarray:
        """lme4's start: every template the identity."""
        return np.where(self.lower == 0.0, 1.0, 0.0)

    @property
    def names(self) -> list[str]:
        """lme4's theta names, e.g. ``Subject.(Intercept)``, ``Subject.Days.(Intercept)``."""
        names = []
        for term in self.terms:
            for i, j in lower_triangle(term.k):
                pair = term.columns[i] if i == j else f"{term.columns[i]}.{term.columns[j]}"
                names.append(f"{term.group}.{pair}")
        return names

    def _pattern(self) -> sp.csc_matrix:
        """Lambda's fixed structure; ``data`` holds, per stored entry, its index into theta."""
        rows, cols, index, start = [], [], [], 0
        for term, offset in zip(self.terms, self.offsets):
            levels = np.arange(term.m) * term.k + start
            for t, (i, j) in enumerate(lower_triangle(term.k)):
                rows.append(levels + i)
                cols.append(levels + j)
                index.append(np.full(term.m, offset + t + 1))  # +1: no stored zeros
            start += term.q
        matrix = sp.csc_matrix(
            (np.concatenate(index).astype(float), (np.concatenate(rows), np.concatenate(cols))), shape=(start, start)
        )
        matrix.sort_indices()
        self._theta_index = matrix.data.astype(np.int64) - 1
        return matrix

    @property
    def lambda_pattern(self) -> sp.csc_matrix:
        """Lambda's structure with every stored entry 1: the widest pattern any theta can fill."""
        return self.lambda_matrix(np.ones(self.n_theta))

    def lambda_matrix(self, theta: np.ndarray) -> sp.csc_matrix:
        """Lambda(theta), shape (q, q), always with the same stored pattern (explicit zeros kept)."""
        matrix = self._lambda.copy()
        matrix.data = np.asarray(theta, dtype=float)[self._theta_index]
        return matrix

    def times_lambda(self, theta: np.ndarray, B: np.ndarray, transpose: bool = False,
                     terms: slice = slice(None)) -> np.ndarray:
        """Lambda B (or Lambda' B) for B of shape (q,) or (q, r), without a sparse matrix.

        Lambda repeats each term's template once per level, so each term's rows of B
        are reshaped to (levels, k, r) and multiplied by T (or T') in one batched product.
        ``terms`` selects a run of terms whose columns B's rows are (e.g. all but the first).
        """
        B = np.asarray(B, dtype=float)
        flat = B.ndim == 1
        B2 = B.reshape(B.shape[0], -1)
        selected = self.terms[terms]
        if sum(term.q for term in selected) != B2.shape[0]:
            raise ValueError(f"B has {B2.shape[0]} rows; the selected terms have {sum(t.q for t in selected)} columns")
        out = np.empty_like(B2)
        start = 0
        for term, T in zip(selected, self.templates(theta)[terms]):
            block = B2[start:start + term.q].reshape(term.m, term.k, -1)
            out[start:start + term.q] = ((T.T if transpose else T) @ block).reshape(term.q, -1)
            start += term.q
        return out.ravel() if flat else out

    def templates(self, theta: np.ndarray) -> list[np.ndarray]:
        """Each term's k x k lower-triangular template T."""
        theta = np.asarray(theta, dtype=float)
        out = []
        for term, (rows, cols), offset in zip(self.terms, self._triangles, self.offsets):
            T = np.zeros((term.k, term.k))
            T[rows, cols] = theta[offset:offset + len(rows)]
            out.append(T)
        return out

    def covariances(self, theta: np.ndarray, sigma: float) -> list[np.ndarray]:
        """Each term's covariance sigma^2 T T' (k x k)."""
        return [sigma**2 * T @ T.T for T in self.templates(theta)]

    def varcorr(self, theta: np.ndarray, sigma: float) -> pd.DataFrame:
        """lme4's ``as.data.frame(VarCorr(fit))``: variances, then covariances, per term; then Residual."""
        rows = []
        for group, term, cov in zip(self.group_labels(), self.terms, self.covariances(theta, sigma)):
            sd = np.sqrt(np.diag(cov))
            for i in range(term.k):
                rows.append((group, term.columns[i], None, cov[i, i], sd[i]))
            for i, j in lower_triangle(term.k):
                if i != j:
                    corr = cov[i, j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else np.nan
                    rows.append((group, term.columns[j], term.columns[i], cov[i, j], corr))
        rows.append(("Residual", None, None, sigma**2, sigma))
        return pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])

    def group_labels(self) -> list[str]:
        """Term labels as VarCorr gives them: the grouping factors' names, and when one factor has several
        terms, R's ``make.names(names, unique = TRUE)`` of all of them (``school``, ``school.1``, ``class.school``)."""
        names = [term.group for term in self.terms]
        return make_names(names) if len(set(names)) < len(names) else names


def make_names(names: list[str]) -> list[str]:
    """R's ``make.names(names, unique = TRUE)``: invalid characters become ".", a leading digit or "_" gets "X",
    and repeated names get ".1", ".2", ... (skipping names already taken)."""
    valid = [re.sub(r"[^A-Za-z0-9._]", ".", name) for name in names]
    valid = ["X" + name if not re.match(r"^([A-Za-z]|\.(?![0-9]))", name) else name for name in valid]
    taken, out, counts = set(valid), [], {}
    seen = set()
    for name in valid:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        count = counts.get(name, 0)
        while True:
            count += 1
            candidate = f"{name}.{count}"
            if candidate not in taken:
                break
        counts[name] = count
        taken.add(candidate)
        out.append(candidate)
    return out
