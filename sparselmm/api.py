"""``lmer()``: lme4's entry point, a formula and a DataFrame in, a fitted model out."""

from __future__ import annotations

import warnings

from .distributed import is_dask_dataframe
from .errors import SingularFitWarning
from .model import LinearMixedModel


def lmer(formula: str, data, REML: bool = True, optimizer=None, solver=None, start=None, verbose: bool = False,
         weights=None, offset=None):
    """Fit a linear mixed model as ``lme4::lmer(formula, data, REML, weights, offset)`` does.

    ``formula`` uses lme4's syntax (``"y ~ x + offset(z) + (1 + x | g)"``); ``data`` is a pandas
    DataFrame, never modified; rows with a missing value in a used column are
    dropped (``fit.n_dropped`` says how many). ``weights`` (prior weights: row i's residual
    variance is sigma^2 / w_i) and ``offset`` are a column's name or one value per row.
    ``optimizer`` and ``solver`` swap the
    defaults (BOBYQA as lme4, CHOLMOD); ``start`` is a starting theta; ``verbose``
    prints the fit's progress. The fit keeps a reference to ``data`` (``fit.data``, as lme4 keeps
    its model frame): the inference layer's reduced models, type III tests and marginal means
    re-evaluate the formula on it.
    """
    if is_dask_dataframe(data):  # the same fit, each partition's sums computed where it lives
        model = LinearMixedModel.from_dask(formula, data, weights=weights, offset=offset)
    else:
        model = LinearMixedModel.from_formula(formula, data, weights=weights, offset=offset)
    fit = model.fit(REML=REML, optimizer=optimizer, solver=solver, start=start, verbose=verbose)
    fit.data = data
    if fit.singular:
        warnings.warn("boundary (singular) fit: see help('isSingular')", SingularFitWarning, stacklevel=2)
    return fit
