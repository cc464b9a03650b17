"""Optimizers of the profiled criterion: BOBYQA (default, as lme4) and the seed's alternating fit."""

from .alternating import AlternatingOptimizer
from .base import OptimizationProblem, OptimizeResult, Optimizer
from .bobyqa import BobyqaOptimizer

__all__ = ["Optimizer", "OptimizationProblem", "OptimizeResult", "BobyqaOptimizer", "AlternatingOptimizer"]
