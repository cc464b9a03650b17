"""sparselmm: lme4's linear mixed models in Python, on sparse matrices.

    import sparselmm as slmm
    fit = slmm.lmer("Reaction ~ Days + (Days | Subject)", data=df)
    print(fit.summary())
"""

from .api import lmer
from .glmm import glmer
from .control import LmerControl
from .errors import (
    CheckWarning,
    ConvergenceWarning,
    DataError,
    FormulaError,
    RankDeficiencyWarning,
    ScaleWarning,
    SingularFitWarning,
    SparseLMMError,
)
from .export import FitRecord, load_json
from .inference.likelihood_ratio import compare as _compare
from .model import LinearMixedModel
from .optimizers import (AlternatingOptimizer, BobyqaOptimizer, LbfgsOptimizer, NelderMeadOptimizer, Optimizer,
                         ScoringOptimizer)
from .results import LmerResult
from .optsummary import OptSummary
from .solvers import BlockedSolver, CholmodSolver, DenseSolver, Solver

__version__ = "0.1.0"


def anova(*fits, refit: bool = True, names=None):
    """lme4's ``anova(fit0, fit1, ...)``: likelihood-ratio tests of nested models, ordered by npar, REML fits
    refitted by ML unless ``refit=False``. Rows are ``names`` or, by default, ``fit0``, ``fit1``, ... in the
    order given (R uses the variables' names, which Python cannot see). With one fit: lme4's sequential
    anova table (npar, Sum Sq, Mean Sq, F value); lmerTest's F tests are ``fit.anova()``."""
    return _compare(*fits, refit=refit, names=names)

__all__ = [
    "lmer", "glmer", "anova", "LinearMixedModel", "LmerResult", "FitRecord", "load_json",
    "Optimizer", "BobyqaOptimizer", "LbfgsOptimizer", "ScoringOptimizer", "AlternatingOptimizer", "NelderMeadOptimizer",
    "LmerControl",
    "Solver", "BlockedSolver", "CholmodSolver", "DenseSolver", "OptSummary",
    "SparseLMMError", "FormulaError", "DataError",
    "RankDeficiencyWarning", "ScaleWarning", "SingularFitWarning", "ConvergenceWarning", "CheckWarning",
]
