"""Optimizers of the profiled criterion: BOBYQA (as lme4), Nelder-Mead (lme4's Nelder_Mead), scoring (Newton steps
with the average information) and L-BFGS-B (both on exact gradients), the seed's alternating fit."""

from .alternating import AlternatingOptimizer
from .base import OptimizationProblem, OptimizeResult, Optimizer
from .bobyqa import BobyqaOptimizer
from .lbfgs import LbfgsOptimizer
from .nelder_mead import NelderMeadOptimizer
from .scoring import ScoringOptimizer

__all__ = ["Optimizer", "OptimizationProblem", "OptimizeResult", "BobyqaOptimizer", "LbfgsOptimizer",
           "AlternatingOptimizer", "NelderMeadOptimizer", "ScoringOptimizer"]
