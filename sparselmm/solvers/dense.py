"""Dense Cholesky of A(theta): for tiny problems and as an independent cross-check of the other solvers."""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ..inverse import SchurInverse
from .base import Solver


class DenseSolver(Solver):
    """Forms A = Lambda' Z'Z Lambda + I densely and factors it with LAPACK (no permutation): keep q small."""

    name = "dense"

    def bind(self, crossprods, covariance) -> "DenseSolver":
        bound = DenseSolver()
        bound._M = sp.csr_matrix(crossprods.ZtZ).toarray()  # dense by design: small q only
        bound._covariance = covariance
        return bound

    def with_products(self, crossprods) -> "DenseSolver":
        """A solver for new values of Z'Z."""
        return self.bind(crossprods, self._covariance)

    def _factor(self, theta: np.ndarray) -> None:
        self._Lambda = self._covariance.lambda_matrix(theta).toarray()
        self._A = self._Lambda.T @ self._M @ self._Lambda + np.eye(self._M.shape[0])
        self._L = la.cholesky(self._A, lower=True)

    def logdet(self) -> float:
        self._require_factor()
        return 2.0 * float(np.sum(np.log(np.diag(self._L))))

    def solve_L(self, B: np.ndarray) -> np.ndarray:
        self._require_factor()
        return la.solve_triangular(self._L, B, lower=True)

    def solve_Lt(self, C: np.ndarray) -> np.ndarray:
        self._require_factor()
        return la.solve_triangular(self._L, C, lower=True, trans="T")

    def logdet_gradient(self, skip_first: bool = False) -> list[np.ndarray]:
        """sum_j (A^-1 Lambda' M)_jj per term, from the full inverse."""
        self._require_factor()
        product = la.cho_solve((self._L, True), self._Lambda.T @ self._M)
        out, start = [], 0
        for term in self._covariance.terms:
            block = product[start:start + term.q, start:start + term.q].reshape(term.m, term.k, term.m, term.k)
            out.append(np.einsum("lalb->ab", block))
            start += term.q
        return out

    def inverse(self) -> SchurInverse:
        self._require_factor()
        first = self._covariance.terms[0]
        return SchurInverse.from_matrix(sp.csr_matrix(self._A), first.k, first.m)
