"""lmer's arguments checked before any work: each wrong one named, with what it must be.

A user moving from R passes ``REML = "no"`` or ``na_action = "na.skip"`` and expects an error, not a
silent REML fit; so every argument of ``lmer`` is checked here, in one place, before the data are read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .contrasts import check_requested
from .control import LmerControl, as_control, make_optimizer
from .errors import SparseLMMError
from .optimizers import Optimizer
from .rows import check_na_action
from .solvers import Solver


@dataclass(frozen=True)
class LmerCall:
    """The arguments of one ``lmer`` call, as given (what ``fit.update`` changes and calls again)."""

    formula: str
    data: object
    REML: bool = True
    weights: object = None
    offset: object = None
    contrasts: dict | None = None
    na_action: str = "omit"
    subset: object = None
    control: object = None
    optimizer: object = None
    solver: object = None
    start: object = None
    verbose: bool = False
    function: object = None  # the entry point that was called (lmer), as R's call records it

    def arguments(self) -> dict:
        """The keyword arguments that repeat this call."""
        names = ("formula", "data", "REML", "weights", "offset", "contrasts", "na_action", "subset", "control",
                 "optimizer", "solver", "start", "verbose")
        return {name: getattr(self, name) for name in names}

    def evaluate(self, **changes):
        """The call made again with ``changes`` to its arguments (R's ``eval(update(call, ...))``)."""
        if self.function is None:
            raise SparseLMMError("this call records no function to call again: it was not made by slmm.lmer")
        return self.function(**{**self.arguments(), **changes})


@dataclass(frozen=True)
class CheckedArguments:
    """What the fit uses: the control, the optimizer object (or None for the default), na_action's name."""

    control: LmerControl
    optimizer: Optimizer | None
    na_action: str
    contrasts: dict
    start: np.ndarray | None


def check_lmer_arguments(call: LmerCall) -> CheckedArguments:
    """Every argument of ``lmer`` checked (a SparseLMMError naming the first wrong one)."""
    if not isinstance(call.formula, str):
        raise SparseLMMError(f"formula must be a string such as 'y ~ x + (1 | g)', not {type(call.formula).__name__}")
    _boolean(call.REML, "REML")
    if not isinstance(call.verbose, (bool, np.bool_, int)) or call.verbose < 0:
        raise SparseLMMError(f"verbose must be True or False, not {call.verbose!r}")
    if call.solver is not None and not isinstance(call.solver, Solver):
        raise SparseLMMError(f"solver must be a Solver such as slmm.CholmodSolver(), not {call.solver!r}")
    control = as_control(call.control)
    optimizer = _optimizer(call.optimizer, control)
    return CheckedArguments(control, optimizer, check_na_action(call.na_action), check_requested(call.contrasts),
                            _start(call.start))


def _boolean(value, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise SparseLMMError(f"{name} must be True or False, not {value!r}")


def _optimizer(optimizer, control: LmerControl) -> Optimizer | None:
    """lmer's ``optimizer=`` (an Optimizer or a name) or control's; not both."""
    if optimizer is not None and control.optimizer is not None:
        raise SparseLMMError("the optimizer is given twice, as optimizer= and in control; give it once")
    if optimizer is None:
        return control.make_optimizer()
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        return make_optimizer(optimizer)
    raise SparseLMMError(f"optimizer must be an Optimizer or a name such as 'bobyqa', not {optimizer!r}")


def _start(start) -> np.ndarray | None:
    """lmer's ``start``: theta as numbers, or lme4's ``{"theta": [...]}``."""
    if start is None:
        return None
    if isinstance(start, dict):
        unknown = [key for key in start if key != "theta"]
        if unknown:
            raise SparseLMMError(f"start may hold only 'theta' (an LMM's beta is profiled out), not {unknown[0]!r}")
        start = start.get("theta")
    try:
        return np.asarray(start, dtype=float)
    except (TypeError, ValueError) as error:
        raise SparseLMMError(f"start must be theta's numbers, not {start!r}") from error
