"""Solvers of A(theta) = Lambda' Z'Z Lambda + I: blocked (default), CHOLMOD (sparse), dense (cross-checks)."""

from .base import Solver
from .blocked import BlockedSolver
from .cholmod import CholmodSolver
from .dense import DenseSolver

__all__ = ["Solver", "BlockedSolver", "CholmodSolver", "DenseSolver"]
