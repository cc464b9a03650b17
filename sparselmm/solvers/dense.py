"""Dense Cholesky: for tiny problems and as an independent cross-check of the sparse path."""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .base import Solver


class DenseSolver(Solver):
    """Factors A densely with LAPACK (no permutation). Costs O(q^3): keep q small."""

    name = "dense"

    def analyze(self, A: sp.csc_matrix) -> None:
        self._L = None

    def factorize(self, A: sp.csc_matrix) -> None:
        self._L = la.cholesky(A.toarray(), lower=True)  # dense by design: small q only

    def logdet(self) -> float:
        return 2.0 * float(np.sum(np.log(np.diag(self._L))))

    def solve_L(self, B: np.ndarray) -> np.ndarray:
        return la.solve_triangular(self._L, B, lower=True)

    def solve_Lt(self, C: np.ndarray) -> np.ndarray:
        return la.solve_triangular(self._L, C, lower=True, trans="T")
