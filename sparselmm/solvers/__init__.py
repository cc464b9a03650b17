"""Solvers for the sparse Cholesky step: CHOLMOD (default) and dense (small q, cross-checks)."""

from .base import Solver
from .cholmod import CholmodSolver
from .dense import DenseSolver

__all__ = ["Solver", "CholmodSolver", "DenseSolver"]
