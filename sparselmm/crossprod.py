"""Cross-products of the data, computed once, and the matrix A(theta) assembled from them.

Every quantity of the profiled fit depends on the data only through Z'Z, Z'X,
Z'y, X'X, X'y and y'y. They are formed once per data set (and can be summed
over chunks of rows), so that an objective evaluation never touches an
n-length array. Z'Z is sparse (q, q); Z'X is dense (q, p) with p small.

The products are taken of y minus its least-squares fit on X (``beta_ols``):
the fit is linear in y, so this changes beta by beta_ols and nothing else,
while y'y shrinks to the OLS residual sum of squares. The penalized RSS is
found as y'y - |cu|^2 - |cbeta|^2, and a response far from zero (incomes,
years) would otherwise lose most of its digits in that subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class CrossProducts:
    """The sufficient statistics of a linear mixed model."""

    ZtZ: sp.csc_matrix  # (q, q)
    ZtX: np.ndarray  # (q, p)
    Zty: np.ndarray  # (q,)
    XtX: np.ndarray  # (p, p)
    Xty: np.ndarray  # (p,)
    yty: float
    nobs: int
    beta_ols: np.ndarray  # (p,) removed from y before the products; added back to beta

    @classmethod
    def from_arrays(cls, Z: sp.csc_matrix, X: np.ndarray, y: np.ndarray) -> "CrossProducts":
        beta_ols = np.linalg.lstsq(X, y, rcond=None)[0]
        y = y - X @ beta_ols
        Zt = Z.T.tocsr()
        return cls(
            ZtZ=(Zt @ Z).tocsc(),
            ZtX=np.asarray(Zt @ X),
            Zty=np.asarray(Zt @ y),
            XtX=X.T @ X,
            Xty=X.T @ y,
            yty=float(y @ y),
            nobs=len(y),
            beta_ols=beta_ols,
        )


class SystemMatrix:
    """A(theta) = Lambda' Z'Z Lambda + I on one fixed sparse pattern.

    scipy.sparse products drop entries that happen to be zero (all of them at
    theta = 0), so the product is scattered into a pattern fixed once: the
    structural pattern of |Lambda|' |Z'Z| |Lambda| + I. CHOLMOD's symbolic
    analysis of that pattern then stays valid for every theta.
    """

    def __init__(self, ZtZ: sp.csc_matrix, lambda_pattern: sp.csc_matrix):
        self.ZtZ = ZtZ
        ones = abs(lambda_pattern).astype(bool).astype(float)
        positive = abs(ZtZ) + abs(ZtZ).astype(bool)  # strictly positive on ZtZ's pattern: no cancellation
        pattern = (ones.T @ positive @ ones + sp.identity(ZtZ.shape[0])).tocsc()
        pattern.sort_indices()
        self._pattern = pattern
        self._keys = self._position_keys(pattern)
        self._diagonal = np.searchsorted(self._keys, self._keys_of_diagonal(pattern.shape[0]))

    @staticmethod
    def _position_keys(matrix: sp.csc_matrix) -> np.ndarray:
        cols = np.repeat(np.arange(matrix.shape[1], dtype=np.int64), np.diff(matrix.indptr))
        return cols * matrix.shape[0] + matrix.indices

    @staticmethod
    def _keys_of_diagonal(q: int) -> np.ndarray:
        index = np.arange(q, dtype=np.int64)
        return index * q + index

    @property
    def pattern(self) -> sp.csc_matrix:
        return self._pattern

    def assemble(self, Lambda: sp.csc_matrix) -> sp.csc_matrix:
        """A for this Lambda, on the fixed pattern (q, q)."""
        product = (Lambda.T @ self.ZtZ @ Lambda).tocsc()
        product.sort_indices()
        A = self._pattern.copy()
        A.data[:] = 0.0
        A.data[np.searchsorted(self._keys, self._position_keys(product))] = product.data
        A.data[self._diagonal] += 1.0
        return A
