"""sparselmm: lme4's linear mixed models in Python, on sparse matrices.

    import sparselmm as slmm
    fit = slmm.lmer("Reaction ~ Days + (Days | Subject)", data=df)
    print(fit.summary())
"""

from .api import lmer
from .errors import (
    ConvergenceWarning,
    DataError,
    FormulaError,
    RankDeficiencyWarning,
    ScaleWarning,
    SingularFitWarning,
    SparseLMMError,
)
from .export import FitRecord, load_json
from .model import LinearMixedModel
from .optimizers import AlternatingOptimizer, BobyqaOptimizer, LbfgsOptimizer, Optimizer
from .results import LmerResult
from .optsummary import OptSummary
from .solvers import BlockedSolver, CholmodSolver, DenseSolver, Solver

__version__ = "0.1.0"

__all__ = [
    "lmer", "LinearMixedModel", "LmerResult", "FitRecord", "load_json",
    "Optimizer", "BobyqaOptimizer", "LbfgsOptimizer", "AlternatingOptimizer",
    "Solver", "BlockedSolver", "CholmodSolver", "DenseSolver", "OptSummary",
    "SparseLMMError", "FormulaError", "DataError",
    "RankDeficiencyWarning", "ScaleWarning", "SingularFitWarning", "ConvergenceWarning",
]
