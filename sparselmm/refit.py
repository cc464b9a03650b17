"""A fit made again: ``update`` (lme4's update: the call with some arguments changed), ``refit`` (a new
response on the same design) and ``refit_ml`` (the REML fit's model by maximum likelihood).

``refit`` and ``refit_ml`` neither read nor code the data again: the design (X, Z, the terms) is the
fit's, only the response's cross-products are recomputed (one pass over the rows, for refit), and
the fit's bound solver, whose analysis depends on Z'Z alone, factors for the new fit too. Both
start from the fit's theta, as lme4's do. ``update`` repeats the ``lmer`` call with R's update
syntax for the formula (``". ~ . + x"``, :mod:`sparselmm.formula.update`).
"""

from __future__ import annotations

from dataclasses import replace
import inspect

import numpy as np
import pandas as pd

from .arguments import check_lmer_arguments
from .crossprod import CrossProducts
from .errors import DataError, SparseLMMError
from .formula import Name
from .formula.update import update_formula


def update(fit, formula: str | None = None, data=None, **arguments):
    """lme4's update(fit, formula., ...): the fit's ``lmer`` call again with the changes given."""
    call = getattr(fit, "call", None)
    if call is None:
        raise SparseLMMError("update() repeats the fit's lmer call, and this fit has none: fit it with slmm.lmer")
    accepted = [p for p in inspect.signature(call.function).parameters if p not in ("formula", "data")]
    unknown = [name for name in arguments if name not in accepted]
    if unknown:
        raise SparseLMMError(f"update() has no argument {unknown[0]!r}; lmer's arguments are {', '.join(accepted)}")
    changed = {**call.arguments(), **arguments}
    if formula is not None:
        changed["formula"] = update_formula(call.formula, formula)
    if data is not None:
        changed["data"] = data
    return call.evaluate(**changed)


def refit(fit, newresp):
    """lme4's refit(fit, newresp): the same model fitted to another response, from the fit's theta.

    ``newresp`` has one value per row used, one per row of the subset or of the caller's data (the
    rows used are taken, as lme4 drops those na.action removed), or is a Series on the caller's
    index, or names a column of the fit's data."""
    fit.design.require_rows("refit")
    y = _new_response(fit, newresp)
    design = replace(fit.design, coded=replace(fit.design.coded, y=y))
    model = _model_on(fit, design, CrossProducts.from_rows(design.coded, design.terms))
    result = model.fit(REML=fit.REML, optimizer=_optimizer(fit), start=fit.theta)
    result.data = _data_with(fit, y)
    result.call = replace(fit.call, data=result.data) if getattr(fit, "call", None) and result.data is not None else None
    return result


def refit_ml(fit):
    """lme4's refitML(fit): the REML fit's model by maximum likelihood, from its theta (an ML fit as it is)."""
    if not fit.REML:
        return fit
    model = _model_on(fit, fit.design, fit.model.crossprods)
    result = model.fit(REML=False, optimizer=_optimizer(fit), start=fit.theta)
    result.data = getattr(fit, "data", None)
    call = getattr(fit, "call", None)
    result.call = replace(call, REML=False) if call is not None else None
    return result


def _model_on(fit, design, crossprods):
    """A model of ``design`` whose solver is the fit's (its analysis holds: Z'Z and the terms are the same)."""
    model = type(fit.model)(design, crossprods)
    if fit.solver is not None:
        model.adopt(fit.solver)
    return model


def _optimizer(fit):
    """The optimizer the fit's call asked for (None: the model's default)."""
    call = getattr(fit, "call", None)
    if call is None:
        return None
    return check_lmer_arguments(call).optimizer


def _new_response(fit, newresp) -> np.ndarray:
    """newresp over the rows used, (nobs,) finite floats."""
    layout, used = fit.design.layout, fit.design.rows
    if isinstance(newresp, str):
        data = getattr(fit, "data", None)
        if data is None or newresp not in data.columns:
            raise DataError(f"newresp={newresp!r} names no column of the fit's data")
        newresp = data[newresp]
    if isinstance(newresp, pd.Series) and layout is not None:
        values = newresp.reindex(layout.index[used]).to_numpy(dtype=float)
    else:
        values = np.asarray(newresp, dtype=float).ravel()
        lengths = {fit.nobs: None}
        if layout is not None:
            lengths.update({len(layout.scope): np.searchsorted(layout.scope, used), len(layout.index): used})
        if len(values) not in lengths:
            raise DataError(f"newresp has {len(values)} values; give one per row used ({fit.nobs}) or per row of "
                            "the data")
        take = lengths[len(values)]
        values = values if take is None else values[take]
    if not np.isfinite(values).all():
        raise DataError(f"newresp has {np.sum(~np.isfinite(values))} missing or infinite values at the rows used")
    return values


def _data_with(fit, y: np.ndarray):
    """The fit's data with the response column replaced by the new response (NaN at rows not used), where
    the response is a column; None otherwise (a response such as log(y) cannot be written back)."""
    data, response = getattr(fit, "data", None), fit.design.formula.response
    if not isinstance(data, pd.DataFrame) or not isinstance(response, Name):
        return None
    column = np.full(len(data), np.nan)
    column[fit.design.rows] = y
    return data.assign(**{response.name: column})
