"""glmer's ``summary()`` printout, laid out and rounded as lme4 1.1 prints a glmerMod (R's default digits).

lme4's sections: the title (wrapped at R's width), family and link, the formula
(and the weights and offset given by name), the fit statistics (AIC, BIC,
logLik, -2 logLik as "deviance", df.resid), Pearson residuals over sigma, the
variance components (a Residual row only where the family has a dispersion), the
fixed effects as printCoefmat prints them (z or t value, normal p-values, stars)
and their correlations, then lme4's convergence messages. The "Data:" line (R's
name for the data frame) is not ours to print.
"""

from __future__ import annotations

import numpy as np

from ..formula import deparse_lines, expand_double_bars
from ..inference.printing import LEGEND, format_pval
from ..rformat import abbreviate, cat_fill, format_numbers, matrix, named_vector, zapsmall

DIGITS = 4  # print.summary.merMod: max(3, getOption("digits") - 3)
DIG_TST = 3  # printCoefmat's dig.tst
WIDTH = 80


class GlmerSummary:
    """The text of glmer's summary; ``str()`` or the REPL shows it."""

    def __init__(self, fit):
        self.fit = fit
        self.text = "\n".join(sections(fit))

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def sections(fit) -> list[str]:
    lines = title(fit)
    lines.append(f" Family: {fit.family.name}  ( {fit.family.link.name} )")
    lines += cat_fill(["Formula:"] + deparse_lines(expand_double_bars(fit.model.formula.tree)))
    if fit.model.weights_text:
        lines.append(f"Weights: {fit.model.weights_text}")
    if fit.model.offset_text:
        lines.append(f" Offset: {fit.model.offset_text}")
    lines += [""] + criterion(fit) + [""] + residuals(fit) + [""] + random_effects(fit)
    lines += ["", "Fixed effects:"] + fixed_effects(fit.coef_table()) + correlation(fit)
    if fit.messages:
        lines += ["fit warnings:"] + list(fit.messages)
    notes = (["boundary (singular) fit: see help('isSingular')"] if fit.singular else []) + fit.optsummary.warnings
    if notes:
        record = fit.optsummary
        status = "0 (OK)" if record.optimizer_converged else f"1 ({record.message})"
        lines += [f"optimizer ({record.optimizer}) convergence code: {status}"] + notes + [""]
    return lines


def title(fit) -> list[str]:
    """lme4's methTitle, wrapped as .prt.methTit wraps it (strwrap to width - 2, indented 2, then the class)."""
    how = "(Laplace Approximation)" if fit.nAGQ == 1 else f"(Adaptive Gauss-Hermite Quadrature, nAGQ = {fit.nAGQ})"
    text = f"Generalized linear mixed model fit by maximum likelihood {how}"
    cls = "glmerMod"
    if len(text) + 5 + len(cls) <= WIDTH:
        return [f"{text} [{cls}]"]
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) >= WIDTH - 2:
            lines.append(line)
            line = "  " + word
        else:
            line = f"{line} {word}" if line else word
    return lines + [f"{line} [{cls}]"]


def criterion(fit) -> list[str]:
    values = np.round([fit.aic, fit.bic, fit.loglik, fit.objective], 1)
    texts = format_numbers(values) + [str(fit.df_resid)]
    return named_vector(["AIC", "BIC", "logLik", "deviance", "df.resid"], texts).split("\n")


def residuals(fit) -> list[str]:
    scaled = fit.residuals("pearson") / fit.sigma
    quantiles = zapsmall(np.quantile(scaled, [0, 0.25, 0.5, 0.75, 1]), DIGITS + 1)
    table = named_vector(["Min", "1Q", "Median", "3Q", "Max"], format_numbers(quantiles, DIGITS))
    return ["Scaled residuals: "] + table.split("\n")


def random_effects(fit) -> list[str]:
    covariance = fit.model.covariance
    covs = covariance.covariances(fit.theta, fit.sigma)
    residual = [fit.sigma**2] if fit.family.dispersion else []
    variances = np.concatenate([np.diag(c) for c in covs] + [residual])
    var_text, sd_text = format_numbers(variances, DIGITS), format_numbers(np.sqrt(variances), DIGITS)
    names, labels = [], []
    for group, term in zip(covariance.group_labels(), covariance.terms):
        names += list(term.columns)
        labels += [group] + [""] * (term.k - 1)
    if residual:
        labels, names = labels + ["Residual"], names + [""]
    rows = [[g, n, v, s] for g, n, v, s in zip(labels, names, var_text, sd_text)]
    header = ["Groups", "Name", "Variance", "Std.Dev."]
    widest = max(t.k for t in covariance.terms)
    if widest > 1:
        corr_rows = [r for c in covs for r in _correlation_rows(c, widest)] + [[""] * widest] * len(residual)
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


def fixed_effects(table) -> list[str]:
    """printCoefmat(coefs, digits = 4) of Estimate, Std. Error, z (or t) value and Pr(>|z|), with stars."""
    values = table.to_numpy(dtype=float)
    coef_se = values[:, :2]
    magnitudes = np.abs(coef_se[np.isfinite(coef_se) & (coef_se != 0)])
    digmin = 1 + np.floor(np.log10([magnitudes.min(), magnitudes.max()])) if magnitudes.size else np.array([1, 1])
    decimals = int(max(1, *(DIGITS - digmin)))
    shown = np.array(format_numbers(np.round(coef_se, decimals).ravel(order="F"), DIGITS)).reshape(coef_se.shape,
                                                                                                   order="F")
    for index in zip(*np.nonzero((coef_se == 0) != (shown.astype(float) == 0))):
        shown[index] = format_numbers([coef_se[index]], DIGITS - 1)[0]
    statistic = format_numbers(np.round(values[:, 2], DIG_TST), DIGITS)
    p = values[:, 3]
    rows = [list(shown[i]) + [statistic[i], text] for i, text in enumerate(format_pval(p))]
    header = list(table.columns)
    stars = bool(np.any(p < 0.1))
    if stars:
        marks = [_stars(v) for v in p]
        width = max(map(len, marks))
        rows = [row + [mark.ljust(width)] for row, mark in zip(rows, marks)]
        header = header + [""]
    lines = matrix(rows, header, list(table.index), right=True)
    return lines + (["---", LEGEND] if stars else [])


def _stars(p: float) -> str:
    for cut, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p <= cut:
            return mark
    return " "


def correlation(fit) -> list[str]:
    names = list(fit.fixef.index)
    p = len(names)
    if p < 2:
        return []
    vcov = fit.vcov.to_numpy()
    sd = np.sqrt(np.diag(vcov))
    corr = vcov / np.outer(sd, sd)
    text = np.array(format_numbers(np.round(corr, 3).ravel(), nsmall=3), dtype=object).reshape(p, p)
    rows = [[text[i, j] if j < i else "" for j in range(p - 1)] for i in range(1, p)]
    return ["", "Correlation of Fixed Effects:"] + matrix(rows, abbreviate(names, 6)[:-1], abbreviate(names, 11)[1:])
