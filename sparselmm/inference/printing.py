"""lmerTest's summary printout: its title line and the fixed-effects table with df, p-values and stars.

lme4's ``print.summary.merMod`` prints lmerTest's coefficient table with R's ``printCoefmat(coefs,
digits = 4)``: Estimate, Std. Error and df share one format, the t
value is rounded to 3 decimals, the p-value goes through ``format.pval(digits = 3)`` and the stars
through ``symnum``; the legend follows when a p-value is below 0.1. The rest of the summary is lme4's
(:mod:`sparselmm.summary`).
"""

from __future__ import annotations

import numpy as np

from ..rformat import format_numbers, matrix

DIGITS = 4
DIG_TST = 3  # printCoefmat's dig.tst = max(1, min(5, digits - 1))
EPS_P = np.finfo(float).eps
LEGEND = "Signif. codes:  0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1"
WIDTH = 80


def title(fit, method: str) -> list[str]:
    """lme4's .prt.methTit of lmerTest's title: wrapped (strwrap, then cat(fill = TRUE)) past 80 columns."""
    text = ("Linear mixed model fit by REML" if fit.REML else "Linear mixed model fit by maximum likelihood ")
    text += f". t-tests use {method}'s method"
    cls = "lmerModLmerTest"
    if len(text) + 5 + len(cls) <= WIDTH:
        return [f"{text} ['{cls}']"]
    return _cat_fill(_strwrap(text, WIDTH - 2, 2) + [" [", cls, "]"])


def _strwrap(text: str, width: int, exdent: int) -> list[str]:
    """R's strwrap: words joined greedily into lines shorter than ``width``; later lines indented."""
    lines, line = [], ""
    for word in text.split():
        indent = "" if not lines else " " * exdent
        if line and len(line) + 1 + len(word) >= width:
            lines.append(line)
            line = " " * exdent + word
        else:
            line = (line + " " + word) if line else indent + word
    return lines + [line]


def _cat_fill(items: list[str]) -> list[str]:
    """R's cat(items, sep = "", fill = TRUE): a new line before an item that would pass 80 columns."""
    lines, line = [], ""
    for item in items:
        if line and len(line) + len(item) > WIDTH:
            lines.append(line)
            line = item
        else:
            line += item
    return lines + [line]


def fixed_effects(table) -> list[str]:
    """printCoefmat's lines for lmerTest's coefficient table (Estimate, Std. Error, df, t value, Pr(>|t|))."""
    values = table.to_numpy(dtype=float)
    coef_se = values[:, :3]
    magnitudes = np.abs(coef_se[np.isfinite(coef_se) & (coef_se != 0)])
    digmin = 1 + np.floor(np.log10([magnitudes.min(), magnitudes.max()])) if magnitudes.size else np.array([1, 1])
    decimals = int(max(1, *(DIGITS - digmin)))
    shown = np.array(format_numbers(np.round(coef_se, decimals).ravel(order="F"), DIGITS)).reshape(coef_se.shape,
                                                                                                   order="F")
    for index in zip(*np.nonzero((coef_se == 0) != (shown.astype(float) == 0))):
        shown[index] = format_numbers([coef_se[index]], DIGITS - 1)[0]
    t_text = format_numbers(np.round(values[:, 3], DIG_TST), DIGITS)
    p = values[:, 4]
    rows = [list(shown[i]) + [t_text[i], text] for i, text in enumerate(format_pval(p))]
    header = ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"]
    stars = bool(np.any(p < 0.1))
    if stars:
        marks = [_stars(v) for v in p]
        width = max(map(len, marks))
        rows = [row + [mark.ljust(width)] for row, mark in zip(rows, marks)]
        header = header + [""]
    lines = matrix(rows, header, list(table.index), right=True)
    return lines + (["---", LEGEND] if stars else [])


def format_pval(p: np.ndarray, digits: int = DIG_TST) -> list[str]:
    """R's format.pval(p, digits, eps = 2.2e-16)."""
    p = np.asarray(p, dtype=float)
    tiny = p < EPS_P
    out = [""] * len(p)
    rest = [i for i in range(len(p)) if not tiny[i]]
    if rest:
        expo = np.floor(np.log10(np.where(p[rest] > 0, p[rest], 1e-50)))
        fixed = [i for i, e in zip(rest, expo) if e >= -3 or (e == -4 and digits > 1)]
        floating = [i for i in rest if i not in fixed]
        for group in (fixed, floating):
            for i, text in zip(group, format_numbers(p[group], digits) if group else []):
                out[i] = text
    if tiny.any():
        digits = max(1, digits - 2)
        if rest:
            nc = max(len(out[i]) for i in rest)
            if digits > 1 and digits + 6 > nc:
                digits = max(1, nc - 7)
            sep = "" if digits == 1 and nc <= 6 else " "
        else:
            sep = "" if digits == 1 else " "
        for i in np.flatnonzero(tiny):
            out[i] = "<" + sep + format_numbers([EPS_P], digits)[0]
    return out


def _stars(p: float) -> str:
    for cut, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p <= cut:
            return mark
    return " "
