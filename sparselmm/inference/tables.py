"""lmerTest's tables: the coefficient table with t tests, the type I/II/III anova and drop1's marginal F tests.

Each row of a table is one contrast (a coefficient) or one hypothesis matrix (a term), tested with
Satterthwaite's df (:mod:`.satterthwaite`) or Kenward and Roger's adjusted covariance and df
(:mod:`.kenward_roger`), as lmerTest's ``contest1D`` / ``contestMD`` do. Column names are R's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import SparseLMMError
from . import contrasts
from .kenward_roger import kr_adjust
from .satterthwaite import f_test, t_test

SATTERTHWAITE, KENWARD_ROGER = "Satterthwaite", "Kenward-Roger"
ANOVA_COLUMNS = ["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"]
COEF_COLUMNS = ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"]


def ddf_method(ddf, allow_none: bool = False):
    """lmerTest's name for ``ddf`` ("Satterthwaite" or "Kenward-Roger", any case), or None if allowed."""
    if ddf is None and allow_none:
        return None
    names = {"satterthwaite": SATTERTHWAITE, "kenward-roger": KENWARD_ROGER, "kenward_roger": KENWARD_ROGER,
             "kr": KENWARD_ROGER}
    if isinstance(ddf, str) and ddf.lower() in names:
        return names[ddf.lower()]
    choices = "'Satterthwaite', 'Kenward-Roger'" + (" or None (lme4's table without df)" if allow_none else "")
    raise SparseLMMError(f"ddf={ddf!r} is not a denominator degrees-of-freedom method; use {choices}")


def checked_level(level) -> float:
    """A confidence level strictly between 0 and 1, or an error saying so."""
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise SparseLMMError(f"level={level!r} must be a confidence level between 0 and 1, such as 0.95")
    return float(level)


def two_sided_p(t, df):
    return 2.0 * stats.t.sf(np.abs(t), df)


def coef_table(fit, ddf) -> pd.DataFrame:
    """lmerTest's ``coef(summary(fit, ddf))``, or lme4's three columns when ``ddf`` is None."""
    method = ddf_method(ddf, allow_none=True)
    names = list(fit.design.fixef_names)
    beta = fit.solution.beta
    if method is None:
        se = fit.stderr.to_numpy()
        return pd.DataFrame({"Estimate": beta, "Std. Error": se, "t value": beta / se}, index=names)
    p = len(beta)
    if method == SATTERTHWAITE:
        derivatives = fit._varpar()
        tests = [t_test(row, beta, derivatives) for row in np.eye(p)]
        se, df = np.array([t.se for t in tests]), np.array([t.df for t in tests])
    else:
        adjusted = fit._vcov_adjusted()
        se = np.sqrt(np.diag(adjusted.vcov_adj))
        df = np.array([kr_adjust(adjusted, row, beta, q=1).dendf for row in np.eye(p)])
    t = beta / se
    return pd.DataFrame(np.column_stack([beta, se, df, t, two_sided_p(t, df)]), index=names, columns=COEF_COLUMNS)


def hypothesis_tests(fit, hypotheses: dict, ddf) -> pd.DataFrame:
    """One F test per {label: L}: lmerTest's anova columns, rows the labels; ``attrs["hypotheses"]`` the L's."""
    method = ddf_method(ddf)
    rows = {}
    beta, sigma = fit.solution.beta, float(fit.sigma)
    for label, L in hypotheses.items():
        if method == SATTERTHWAITE:
            test = f_test(L, beta, fit._varpar(), sigma)
            if test is None:
                continue
            mean_sq, F, numdf, dendf = test.mean_sq, test.F, test.numdf, test.dendf
        else:
            test = kr_adjust(fit._vcov_adjusted(), L, beta)
            mean_sq, F, numdf, dendf = test.F_unscaled * sigma**2, test.F, test.numdf, test.dendf
        rows[label] = [mean_sq * numdf, mean_sq, numdf, dendf, F, stats.f.sf(F, numdf, dendf)]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=ANOVA_COLUMNS).astype(float)
    table.attrs["hypotheses"] = hypotheses
    return table


TYPES = {1: 1, 2: 2, 3: 3, "1": 1, "2": 2, "3": 3, "I": 1, "II": 2, "III": 3}


def anova_table(fit, type=3, ddf=SATTERTHWAITE) -> pd.DataFrame:
    """lmerTest's ``anova(fit, type, ddf)``: one F test per fixed-effect term."""
    if type not in TYPES:
        raise SparseLMMError(f"type={type!r} is not an anova type; use 1, 2 or 3 (or 'I', 'II', 'III')")
    method = ddf_method(ddf)
    table = hypothesis_tests(fit, contrasts.hypotheses(fit, TYPES[type]), ddf)
    table.attrs["heading"] = f"Type {'I' * TYPES[type]} Analysis of Variance Table with {method}'s method"
    return table


def drop1_table(fit, ddf=SATTERTHWAITE) -> pd.DataFrame:
    """lmerTest's ``drop1(fit, ddf)``: marginal F tests of the terms that can be dropped (R's drop.scope)."""
    method = ddf_method(ddf)
    table = hypothesis_tests(fit, contrasts.hypotheses(fit, "marginal"), ddf)
    table.attrs["heading"] = f"Single term deletions using {method}'s method:"
    return table
