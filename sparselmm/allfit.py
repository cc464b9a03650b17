"""lme4's allFit: the model refitted by every optimizer, to see that they agree.

Each optimizer starts from lme4's start, as lme4's allFit does, on the fit's own model and solver
(the data are not read again). The result holds every fit (or the error an optimizer raised) and lme4's summary
tables: which fits are OK, their messages, log-likelihoods, fixed effects, theta, the standard
deviations and correlations with sigma, seconds and evaluations.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .control import OPTIMIZERS, make_optimizer
from .errors import SparseLMMError


@dataclass(frozen=True)
class AllFit:
    """Per optimizer (by name), its fit or the exception it raised."""

    fits: dict

    @property
    def ok(self) -> dict:
        return {name: fit for name, fit in self.fits.items() if not isinstance(fit, Exception)}

    @property
    def which_ok(self) -> pd.Series:
        return pd.Series({name: not isinstance(fit, Exception) for name, fit in self.fits.items()}, name="which_OK")

    @property
    def msgs(self) -> dict:
        """The warnings each fit ended with (or the error that stopped it)."""
        return {name: [str(fit)] if isinstance(fit, Exception) else list(fit.optsummary.warnings)
                for name, fit in self.fits.items()}

    @property
    def llik(self) -> pd.Series:
        return pd.Series({name: fit.loglik for name, fit in self.ok.items()}, name="llik")

    @property
    def fixef(self) -> pd.DataFrame:
        return pd.DataFrame({name: fit.fixef for name, fit in self.ok.items()}).T

    @property
    def theta(self) -> pd.DataFrame:
        return pd.DataFrame({name: pd.Series(fit.theta, index=fit.model.covariance.names)
                             for name, fit in self.ok.items()}).T

    @property
    def sdcor(self) -> pd.DataFrame:
        """Each fit's standard deviations and correlations (VarCorr's sdcor, labelled grp.var1[.var2])."""
        return pd.DataFrame({name: _sdcor(fit) for name, fit in self.ok.items()}).T

    @property
    def times(self) -> pd.Series:
        return pd.Series({name: fit.optsummary.seconds for name, fit in self.ok.items()}, name="seconds")

    @property
    def feval(self) -> pd.Series:
        return pd.Series({name: fit.optsummary.evaluations for name, fit in self.ok.items()}, name="feval")

    def table(self) -> pd.DataFrame:
        """One row per optimizer: objective, logLik, seconds, evaluations, converged, then the estimates."""
        rows = {}
        for name, fit in self.fits.items():
            if isinstance(fit, Exception):
                rows[name] = pd.Series({"converged": False, "message": str(fit)})
                continue
            rows[name] = pd.concat([pd.Series({
                "objective": fit.objective, "logLik": fit.loglik, "seconds": fit.optsummary.seconds,
                "evaluations": fit.optsummary.evaluations, "converged": fit.optsummary.converged,
                "message": fit.optsummary.message}), fit.fixef, _sdcor(fit)])
        return pd.DataFrame(rows).T

    def __repr__(self) -> str:
        return repr(self.table()[["objective", "logLik", "seconds", "evaluations", "converged"]])


def all_fit(fit, optimizers=None, verbose: bool = False) -> AllFit:
    """lme4's allFit(fit): the fit's model refitted by each optimizer (default: every one that applies)."""
    names = list(optimizers) if optimizers is not None else _applicable(fit)
    made = {name: make_optimizer(name) for name in names}  # an unknown name is refused before any fit
    fits = {}
    for name, optimizer in made.items():
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fits[name] = fit.model.fit(REML=fit.REML, optimizer=optimizer, solver=fit.solver)
        except (SparseLMMError, ValueError, ArithmeticError) as error:
            fits[name] = error
        if verbose:
            print(f"{name}: {time.perf_counter() - started:.3g} s", flush=True)
    return AllFit(fits)


def _applicable(fit) -> list:
    """Every optimizer, but those on the exact gradient (L-BFGS-B, scoring) only where the solver has it."""
    solver = fit.solver if fit.solver is not None else fit.model.default_solver()
    return [name for name in OPTIMIZERS if not OPTIMIZERS[name].uses_gradient or solver.has_gradient]


def _sdcor(fit) -> pd.Series:
    """VarCorr's sdcor as lme4's allFit labels it: group.var1, group.var1.var2 (a correlation), sigma."""
    labels = []
    for group, first, second in zip(fit.varcorr["grp"], fit.varcorr["var1"], fit.varcorr["var2"]):
        if group == "Residual":
            labels.append("sigma")
        else:
            labels.append(f"{group}.{first}" if pd.isna(second) else f"{group}.{first}.{second}")
    return pd.Series(np.asarray(fit.varcorr["sdcor"], dtype=float), index=labels)
