"""The sparse solver: CHOLMOD's supernodal Cholesky of A(theta), for later terms too wide to hold dense."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..crossprod import PenalizedSystem
from ..inverse import SchurInverse
from ._cholmod import CholmodFactor
from .base import Solver


class CholmodSolver(Solver):
    """Sparse Cholesky through CHOLMOD: symbolic analysis once, numeric factorization per theta.

    ``ordering`` is CHOLMOD's: "natural" (the default) keeps lme4's term order, the
    term with most levels first. Its block is diagonal and is eliminated without
    fill, leaving the dense trailing block of the blocked factor: the fill of the
    best orderings on crossed data (InstEval: 784k entries against AMD's 680k, at the
    same speed), with an analysis that takes 0.7 s at 500,000 levels where CHOLMOD's
    "default" (AMD, then METIS) ran for minutes. "amd", "metis", "nesdis" and
    "default" remain available. The exact gradient is not offered on this route:
    fits through it use BOBYQA.
    """

    name = "cholmod"

    def __init__(self, ordering: str = "natural"):
        super().__init__()
        self.ordering = ordering
        self._system = None

    def bind(self, crossprods, covariance) -> "CholmodSolver":
        bound = CholmodSolver(self.ordering)
        bound._system = PenalizedSystem(crossprods, covariance)
        bound._factor_of = CholmodFactor(bound._system.pattern, self.ordering)
        bound._first, bound._covariance = covariance.terms[0], covariance
        return bound

    def with_products(self, crossprods) -> "CholmodSolver":
        """A solver for new values of Z'Z on the same pattern, reusing this one's symbolic analysis."""
        bound = CholmodSolver(self.ordering)
        bound._system = PenalizedSystem(crossprods, self._covariance)
        if not np.array_equal(bound._system.pattern.indices, self._system.pattern.indices):
            raise ValueError("with_products needs the same pattern of Z'Z")
        bound._factor_of, bound._first, bound._covariance = self._factor_of, self._first, self._covariance
        return bound

    def _factor(self, theta: np.ndarray) -> None:
        self._A = self._system.assemble(theta)
        self._factor_of.factorize(self._A)

    def logdet(self) -> float:
        self._require_factor()
        return self._factor_of.logdet()

    def solve_L(self, B: np.ndarray) -> np.ndarray:
        self._require_factor()
        return self._factor_of.solve_L(B)

    def solve_Lt(self, C: np.ndarray) -> np.ndarray:
        self._require_factor()
        return self._factor_of.solve_Lt(C)

    @property
    def has_gradient(self) -> bool:
        return False

    def logdet_gradient(self) -> list[np.ndarray]:
        raise NotImplementedError("the sparse solver offers no gradient; fit with BOBYQA")

    def inverse(self) -> SchurInverse:
        self._require_factor()
        A = self._A + sp.tril(self._A, -1).T
        return SchurInverse.from_matrix(A, self._first.k, self._first.m)

    def nnz_L(self) -> int:
        """Stored entries of L: the fill the ordering produced."""
        return int(self._factor_of.L().nnz)
