"""lmer's ``control``: the optimizer by name with its settings, and how lme4's input checks report.

``LmerControl`` is lme4's ``lmerControl``, with Python's spelling of its names::

    LmerControl(optimizer="nelder_mead", opt_ctrl={"maxeval": 2000},
                check_nobs_vs_nlev="warning", check_nobs_vs_nRE="warning")

or the same as a dict, in either spelling (``{"optimizer": "Nelder_Mead", "optCtrl": {"maxfun": 2000},
"check.nobs.vs.nlev": "warning"}``). Optimizers, by name (lme4's names are accepted too):

    "bobyqa"       NLopt's BOBYQA with lme4's nloptwrap settings (lme4's default, "nloptwrap"; lme4's
                   own "bobyqa" is minqa's implementation of the same method)
    "nelder_mead"  Nelder-Mead with lme4's Nelder_Mead tolerances (NLopt's LN_NELDERMEAD)
    "scoring"      Newton steps with the exact gradient and the average information (sparselmm's default
                   above 10,000 rows or 6 covariance parameters, up to 24 parameters)
    "lbfgsb"       L-BFGS-B on the exact gradient
    "alternating"  the seed's alternation of GLS for beta and BOBYQA for theta

``opt_ctrl`` passes settings to the optimizer: ``maxeval`` (lme4's ``maxfun``), ``xtol_abs``,
``ftol_abs``, ``xtol_rel``, ``ftol_rel`` and ``initial_step`` as the optimizer takes them;
``gtol``, ``ftol`` and ``maxiter`` for L-BFGS-B; ``ftol`` (the predicted decrease
that ends a fit) and ``maxiter`` for scoring. The checks take "ignore", "warning" or "stop"
(lme4's default "stop"); ``check_conv_singular`` takes "ignore" or "warning" (sparselmm's default:
a SingularFitWarning, where lme4 prints a message).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, fields

from .checks import CHECK_ACTIONS, CHECK_DEFAULTS
from .errors import SparseLMMError
from .optimizers import (AlternatingOptimizer, BobyqaOptimizer, LbfgsOptimizer, NelderMeadOptimizer, Optimizer,
                         ScoringOptimizer)

OPTIMIZERS = {"bobyqa": BobyqaOptimizer, "nelder_mead": NelderMeadOptimizer, "lbfgsb": LbfgsOptimizer,
              "scoring": ScoringOptimizer, "alternating": AlternatingOptimizer}
ALIASES = {"nloptwrap": "bobyqa", "nloptwrap.NLOPT_LN_BOBYQA": "bobyqa", "Nelder_Mead": "nelder_mead",
           "nloptwrap.NLOPT_LN_NELDERMEAD": "nelder_mead", "L-BFGS-B": "lbfgsb", "optimx.L-BFGS-B": "lbfgsb"}
OPT_CTRL_ALIASES = {"maxfun": "maxeval", "maxit": "maxiter", "FtolAbs": "ftol_abs", "FtolRel": "ftol_rel",
                    "XtolRel": "xtol_rel", "xst": "initial_step"}


@dataclass(frozen=True)
class LmerControl:
    """lme4's lmerControl (see the module's docstring): None for ``optimizer`` is the model's default
    (BOBYQA on lme4's path, L-BFGS-B with the exact gradient for large data)."""

    optimizer: object = None
    opt_ctrl: dict = field(default_factory=dict)
    check_nlev_gtr_1: str = CHECK_DEFAULTS["check_nlev_gtr_1"]
    check_nobs_vs_nlev: str = CHECK_DEFAULTS["check_nobs_vs_nlev"]
    check_nobs_vs_nRE: str = CHECK_DEFAULTS["check_nobs_vs_nRE"]
    check_conv_singular: str = "warning"

    def __post_init__(self):
        for name in CHECK_DEFAULTS:
            _one_of(getattr(self, name), CHECK_ACTIONS, name)
        _one_of(self.check_conv_singular, ("ignore", "warning"), "check_conv_singular")
        if not isinstance(self.opt_ctrl, dict):
            raise SparseLMMError(f"opt_ctrl must be a dict such as {{'maxeval': 1000}}, not {self.opt_ctrl!r}")
        if self.optimizer is not None and not isinstance(self.optimizer, Optimizer):
            optimizer_class(self.optimizer)
        self.make_optimizer()  # the settings are checked now, not at the end of the set-up

    @property
    def checks(self) -> dict:
        """The actions of the design checks (sparselmm.checks.check_terms)."""
        return {name: getattr(self, name) for name in CHECK_DEFAULTS}

    def make_optimizer(self) -> Optimizer | None:
        """The optimizer named, with ``opt_ctrl`` (None: the model's default; settings need a name)."""
        if isinstance(self.optimizer, Optimizer):
            if self.opt_ctrl:
                raise SparseLMMError("opt_ctrl applies to an optimizer given by name; set the options on the object")
            return self.optimizer
        if self.optimizer is None:
            if self.opt_ctrl:
                raise SparseLMMError("opt_ctrl needs an optimizer by name, e.g. LmerControl(optimizer='bobyqa', ...)")
            return None
        return make_optimizer(self.optimizer, self.opt_ctrl)


def optimizer_class(name: str):
    """The optimizer class a name means (sparselmm's or lme4's name), or an error listing the names."""
    key = ALIASES.get(name, name) if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        known = ", ".join(f"'{n}'" for n in OPTIMIZERS)
        raise SparseLMMError(f"unknown optimizer {name!r}; the optimizers are {known} "
                             f"(lme4's names {', '.join(map(repr, ALIASES))} are accepted too)")
    return OPTIMIZERS[key]


def make_optimizer(name: str, opt_ctrl: dict | None = None) -> Optimizer:
    """The optimizer ``name`` with the settings ``opt_ctrl`` (lme4's spellings accepted), checked by name."""
    kind = optimizer_class(name)
    settings = {OPT_CTRL_ALIASES.get(key, key): value for key, value in (opt_ctrl or {}).items()}
    accepted = [p for p in inspect.signature(kind.__init__).parameters if p not in ("self", "inner", "callback")]
    unknown = [key for key in settings if key not in accepted]
    if unknown:
        raise SparseLMMError(f"opt_ctrl has {unknown[0]!r}, which optimizer {kind.name!r} does not take; it takes "
                             f"{', '.join(accepted)}")
    return kind(**settings)


def as_control(control) -> LmerControl:
    """lmer's ``control``: None (lme4's defaults), an LmerControl, or a dict of its fields in either spelling."""
    if control is None:
        return LmerControl()
    if isinstance(control, LmerControl):
        return control
    if not isinstance(control, dict):
        raise SparseLMMError(f"control must be an LmerControl or a dict, not {type(control).__name__}")
    names = {f.name for f in fields(LmerControl)}
    settings = {}
    for key, value in control.items():
        name = "opt_ctrl" if key == "optCtrl" else key.replace(".", "_")
        if name not in names:
            raise SparseLMMError(f"control has {key!r}, which is not a setting; the settings are {', '.join(sorted(names))}")
        settings[name] = value
    return LmerControl(**settings)


def _one_of(value, allowed: tuple, name: str) -> None:
    if value not in allowed:
        raise SparseLMMError(f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}")
