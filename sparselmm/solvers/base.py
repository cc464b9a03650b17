"""The Solver interface: a Cholesky factorization of A = Lambda' Z'Z Lambda + I.

A solver factors the symmetric positive definite q x q matrix A as
P A P' = L L' with a fill-reducing permutation P. The symbolic analysis
(``analyze``) is done once per model on A's fixed pattern; ``factorize`` then
repeats for each theta with new values on that pattern.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp


class Solver(ABC):
    """Factor A once per theta and solve with its Cholesky factor."""

    name = "solver"

    @abstractmethod
    def analyze(self, A: sp.csc_matrix) -> None:
        """Symbolic analysis on A's pattern (values ignored), once per model."""

    @abstractmethod
    def factorize(self, A: sp.csc_matrix) -> None:
        """Numeric factorization of A, which has the pattern given to ``analyze``."""

    @abstractmethod
    def logdet(self) -> float:
        """log |A| = log |L|^2."""

    @abstractmethod
    def solve_L(self, B: np.ndarray) -> np.ndarray:
        """L^-1 P B for B of shape (q,) or (q, r)."""

    @abstractmethod
    def solve_Lt(self, C: np.ndarray) -> np.ndarray:
        """P' L^-T C for C of shape (q,) or (q, r)."""

    def solve(self, B: np.ndarray) -> np.ndarray:
        """A^-1 B."""
        return self.solve_Lt(self.solve_L(B))

    def fresh(self) -> "Solver":
        """An unused solver of the same kind and settings, for a new model."""
        return type(self)()
