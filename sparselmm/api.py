"""``lmer()``: lme4's entry point, a formula and a data frame in, a fitted model out."""

from __future__ import annotations

import warnings

from .arguments import LmerCall, check_lmer_arguments
from .data import as_data_frame
from .distributed import is_dask_dataframe
from .control import LmerControl
from .errors import SingularFitWarning, SparseLMMError
from .model import LinearMixedModel
from .progress import Progress


def lmer(formula: str, data, REML: bool = True, optimizer=None, solver=None, start=None, verbose: bool = False,
         weights=None, offset=None, contrasts=None, na_action: str = "omit", subset=None, control=None):
    """Fit a linear mixed model as ``lme4::lmer(formula, data, REML, control, start, verbose, subset, weights,
    na.action, offset, contrasts)`` does.

    ``formula`` uses lme4's syntax (``"y ~ poly(x, 2) + offset(z) + (1 + x | g)"``); ``data`` is a pandas
    or polars DataFrame, a pyarrow Table or a dict of columns, never modified. ``REML`` must be True or
    False. ``weights`` (prior weights: row i's residual variance is sigma^2 / w_i) and ``offset`` are a
    column's name or one value per row. ``contrasts`` maps factors to R's contrasts
    (``{"Machine": "contr.sum"}`` or a matrix). ``na_action`` is "omit" (rows with a missing value in a
    used column are dropped, ``fit.n_dropped`` says how many), "exclude" (the same, with row-level
    results padded with NaN) or "fail". ``subset`` keeps some rows (booleans, positions or an expression
    such as ``"Days >= 2"``). ``control`` is an :class:`~sparselmm.control.LmerControl` (or a dict):
    the optimizer by name and its settings, and lme4's input checks. ``optimizer`` and ``solver`` swap
    the defaults (BOBYQA as lme4, the blocked or CHOLMOD factor); ``start`` is a starting theta;
    ``verbose`` prints the set-up's stages and the fit's progress. The fit keeps the data
    (``fit.data``, as lme4 keeps its model frame): the inference layer's reduced models, type III tests
    and marginal means re-evaluate the formula on it; and the call (``fit.call``), for ``fit.update``.
    """
    call = LmerCall(formula, data, REML, weights, offset, contrasts, na_action, subset, control, optimizer, solver,
                    start, verbose, function=lmer)
    checked = check_lmer_arguments(call)
    progress = Progress() if verbose else None
    if is_dask_dataframe(data):  # the same fit, each partition's sums computed where it lives
        _refuse_for_dask(call, checked)
        model = LinearMixedModel.from_dask(formula, data, weights=weights, offset=offset)
        frame = data
    else:
        frame = _read(data, progress)
        model = LinearMixedModel.from_formula(formula, frame, weights, offset, checked.contrasts, subset,
                                              checked.na_action, checked.control, progress)
    REML = bool(REML) and len(model.design.fixef_names) > 0  # lme4: no fixed effects, so REML is ML
    fit = model.fit(REML=REML, optimizer=checked.optimizer, solver=solver, start=checked.start,
                    verbose=progress or False)
    fit.data, fit.call = frame, call
    if fit.singular and checked.control.check_conv_singular == "warning":
        warnings.warn("boundary (singular) fit: see help('isSingular')", SingularFitWarning, stacklevel=2)
    return fit


def _read(data, progress):
    """The data as a pandas DataFrame (the caller's own when it is one), announced by ``progress``."""
    if progress is None:
        return as_data_frame(data)
    with progress.stage(f"reading the data ({type(data).__module__}.{type(data).__name__})"):
        frame = as_data_frame(data)
    progress.note(f"{len(frame):,} rows, {frame.shape[1]} columns")
    return frame


def _refuse_for_dask(call: LmerCall, checked) -> None:
    """The arguments a Dask DataFrame's fit does not take, named (rather than ignored)."""
    given = [name for name, value in (("contrasts", call.contrasts), ("subset", call.subset)) if value]
    given += ["na_action"] if checked.na_action != "omit" else []
    given += ["control's checks"] if checked.control.checks != LmerControl().checks else []
    if given:
        raise SparseLMMError(f"{', '.join(given)} cannot be used with a Dask DataFrame yet; filter or recode the "
                             "partitions first, or fit a pandas DataFrame")
