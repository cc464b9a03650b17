"""The default solver: CHOLMOD's sparse supernodal Cholesky with a fill-reducing ordering."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._cholmod import CholmodFactor
from .base import Solver


class CholmodSolver(Solver):
    """Sparse Cholesky through CHOLMOD: symbolic analysis once, numeric factorization per theta.

    ``ordering`` is CHOLMOD's: "natural" (the default) keeps lme4's term order, the
    term with most levels first. Its block is diagonal and is eliminated without
    fill, leaving the dense trailing block that MixedModels.jl's blocked Cholesky
    has: the fill of the best orderings on crossed data (InstEval: 784k entries
    against AMD's 680k, at the same speed), with an analysis that takes 0.7 s at
    500,000 levels where CHOLMOD's "default" (AMD, then METIS) ran for minutes.
    "amd", "metis", "nesdis" and "default" remain available.
    """

    name = "cholmod"

    def __init__(self, ordering: str = "natural"):
        self.ordering = ordering
        self._factor = None

    def analyze(self, A: sp.csc_matrix) -> None:
        self._factor = CholmodFactor(A, self.ordering)

    def factorize(self, A: sp.csc_matrix) -> None:
        self._factor.factorize(A)

    def logdet(self) -> float:
        return self._factor.logdet()

    def solve_L(self, B: np.ndarray) -> np.ndarray:
        return self._factor.solve_L(B)

    def solve_Lt(self, C: np.ndarray) -> np.ndarray:
        return self._factor.solve_Lt(C)

    def nnz_L(self) -> int:
        """Stored entries of L: the fill the ordering produced."""
        return int(self._factor.L().nnz)

    def fresh(self) -> "CholmodSolver":
        return CholmodSolver(self.ordering)
