"""lmer's ``summary()`` printout, laid out and rounded as lme4 1.1 prints it (R's default digits)."""

from __future__ import annotations

import numpy as np

from .diagnostics import pearson_residuals
from .formula import deparse_lines, expand_double_bars
from .inference import printing
from .inference.tables import ddf_method
from .rformat import abbreviate, cat_fill, format_numbers, matrix, named_vector, zapsmall

DIGITS = 4  # print.summary.merMod: max(3, getOption("digits") - 3)


class Summary:
    """The text of lmer's summary; ``str()`` or the REPL shows it."""

    def __init__(self, fit, ddf=None):
        self.fit = fit
        with np.errstate(divide="ignore", invalid="ignore"):  # an exact fit has sigma = 0
            self.text = "\n".join(_sections(fit, ddf))

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _sections(fit, ddf=None) -> list[str]:
    """lme4's sections; with ``ddf`` lmerTest's title and fixed-effects table (see inference.printing)."""
    method = None if ddf is None else ddf_method(ddf)
    title = [_title(fit)] if method is None else printing.title(fit, method)
    lines = title + cat_fill(["Formula:"] + _formula_lines(fit))
    lines += [""] + _criterion(fit) + [""]
    lines += _residuals(fit) + [""]
    lines += _random_effects(fit)
    if len(fit.fixef):
        fixed = _fixed_effects(fit) if method is None else printing.fixed_effects(fit.coef_table(method))
        lines += ["", "Fixed effects:"] + fixed
        lines += _correlation(fit)
    else:
        lines += ["No fixed effect coefficients"]
    if fit.messages:
        lines += ["fit warnings:"] + list(fit.messages)
    notes = (["boundary (singular) fit: see help('isSingular')"] if fit.singular else []) + fit.optsummary.warnings
    if notes:
        convergence = fit.optsummary
        status = "0 (OK)" if convergence.converged else f"{convergence.code} ({convergence.message})"
        lines += [f"optimizer ({convergence.optimizer}) convergence code: {status}"] + notes + [""]
    return lines


def _title(fit) -> str:
    method = "REML" if fit.REML else "maximum likelihood "
    return f"Linear mixed model fit by {method} ['lmerMod']"


def _formula_lines(fit) -> list[str]:
    formula = fit.design.formula
    return deparse_lines(expand_double_bars(formula.tree)) if formula.tree is not None else [formula.text]


def _criterion(fit) -> list[str]:
    if fit.REML:
        return [f"REML criterion at convergence: {format_numbers([round(fit.objective, 1)])[0].strip()}"]
    values = np.round([fit.aic, fit.bic, fit.loglik, fit.objective], 1)
    texts = format_numbers(values) + [str(fit.df_resid)]
    return named_vector(["AIC", "BIC", "logLik", "deviance", "df.resid"], texts).split("\n")


def _residuals(fit) -> list[str]:
    if hasattr(fit.design, "dask_rows"):  # a Dask fit: exact quantiles, computed where the partitions live
        quantiles = zapsmall(fit.design.dask_rows(fit).scaled_residual_quantiles(), DIGITS + 1)
    elif not fit.design.has_rows:
        return ["Scaled residuals: not kept (the model was fitted from chunks of rows)"]
    else:
        scaled = pearson_residuals(fit) / fit.sigma  # lme4's residuals(fit, "pearson", scaled = TRUE), rows used
        quantiles = zapsmall(np.quantile(scaled, [0, 0.25, 0.5, 0.75, 1]), DIGITS + 1)
    table = named_vector(["Min", "1Q", "Median", "3Q", "Max"], format_numbers(quantiles, DIGITS))
    return ["Scaled residuals: "] + table.split("\n")


def _random_effects(fit) -> list[str]:
    covariance = fit.model.covariance
    covs = covariance.covariances(fit.theta, fit.sigma)
    groups = covariance.group_labels()
    variances = np.concatenate([np.diag(c) for c in covs] + [[fit.sigma**2]])
    var_text = format_numbers(variances, DIGITS)
    sd_text = format_numbers(np.sqrt(variances), DIGITS)
    names, labels = [], []
    for group, term in zip(groups, covariance.terms):
        names += list(term.columns)
        labels += [group] + [""] * (term.k - 1)
    rows = [[g, n, v, s] for g, n, v, s in zip(labels + ["Residual"], names + [""], var_text, sd_text)]
    header = ["Groups", "Name", "Variance", "Std.Dev."]
    widest = max(t.k for t in covariance.terms)
    if widest > 1:
        corr_rows = [r for c in covs for r in _correlation_rows(c, widest)] + [[""] * widest]
        rows = [r + c for r, c in zip(rows, corr_rows)]
        header += ["Corr"] + [""] * (widest - 1)
    ngroups = "; ".join(f"{g}, {m}" for g, m in fit.ngroups.items())
    return ["Random effects:"] + matrix(rows, header, [""] * len(rows)) + [
        f"Number of obs: {fit.nobs}, groups:  {ngroups}"
    ]


def _correlation_rows(cov: np.ndarray, width: int) -> list[list[str]]:
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    text = np.array(format_numbers(np.round(corr, 2).ravel(), nsmall=2), dtype=object).reshape(corr.shape)
    k = len(sd)
    return [[text[i, j] if j < i else "" for j in range(k)] + [""] * (width - k) for i in range(k)]


def _fixed_effects(fit) -> list[str]:
    estimate, se = fit.fixef.to_numpy(), fit.stderr.to_numpy()
    coef_se = np.column_stack([estimate, se])
    magnitudes = np.abs(coef_se[np.isfinite(coef_se) & (coef_se != 0)])
    digmin = 1 + np.floor(np.log10([magnitudes.min(), magnitudes.max()])) if magnitudes.size else np.array([1, 1])
    decimals = int(max(1, *(DIGITS - digmin)))
    cs_text = np.array(format_numbers(np.round(coef_se, decimals).ravel(order="F"), DIGITS)).reshape(coef_se.shape, order="F")
    dig_tst = max(1, min(5, DIGITS - 1))
    t_text = format_numbers(np.round(estimate / se, dig_tst), DIGITS)
    rows = [[cs_text[i, 0], cs_text[i, 1], t_text[i]] for i in range(len(estimate))]
    return matrix(rows, ["Estimate", "Std. Error", "t value"], list(fit.fixef.index), right=True)


def _correlation(fit) -> list[str]:
    names = list(fit.fixef.index)
    p = len(names)
    if p < 2:
        return []
    vcov = fit.vcov.to_numpy()
    sd = np.sqrt(np.diag(vcov))
    corr = vcov / np.outer(sd, sd)
    text = np.array(format_numbers(np.round(corr, 3).ravel(), nsmall=3), dtype=object).reshape(p, p)
    rows = [[text[i, j] if j < i else "" for j in range(p - 1)] for i in range(1, p)]
    rownames = abbreviate(names, 11)[1:]
    header = abbreviate(names, 6)[:-1]
    return ["", "Correlation of Fixed Effects:"] + matrix(rows, header, rownames)
