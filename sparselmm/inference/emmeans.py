"""emmeans' estimated marginal means and pairwise comparisons, with Satterthwaite's or Kenward-Roger's df.

The reference grid (emmeans' ``ref_grid``) has every combination of the levels of the model's factors,
the first factor varying fastest, with each numeric covariate at its mean over the rows fitted (the
mean of the variable as the formula evaluates it: of ``log(x)`` for a term ``log(x)``, where emmeans
takes the log of mean x). Each cell's prediction is x_cell' beta. A marginal mean over ``specs``
averages the cells over the other factors with equal weights, so each mean is l' beta with l (p,)
a row of ``linfct``; SE = sqrt(l' V l) with V = vcov(beta) (Satterthwaite) or pbkrtest's vcovAdj
(Kenward-Roger), and df from :mod:`.satterthwaite` or pbkrtest's Lb_ddf. Pairwise comparisons are the
differences of the means within each ``|`` group, their p-values adjusted within the group: Tukey by
the studentized range (scipy.stats.studentized_range, R's ptukey) over the group's means,
Bonferroni and Holm over its comparisons. emmeans itself switches to asymptotic df (z tests) above
3,000 rows (its lmerTest.limit and pbkrtest.limit options); here the df are always computed, since
neither method needs an n x n matrix.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
from scipy import stats

from ..coding import term_columns
from ..errors import SparseLMMError
from ..formula import deparse
from ..evaluate import Evaluator
from ..frame import Categorical
from ..values import Columns
from .contrasts import model_variables
from .kenward_roger import kr_adjust
from .satterthwaite import contrast_df
from .tables import SATTERTHWAITE, checked_level, ddf_method

ADJUSTMENTS = ("tukey", "bonferroni", "holm", "none")


def parse_specs(fit, specs) -> tuple[list, list]:
    """(factors, by factors) of ``specs``: "A", "~ A", "~ A * B", "~ A | B", ["A", "B"] or "~ 1" (overall)."""
    if isinstance(specs, (list, tuple)):
        left, by = list(specs), []
    elif isinstance(specs, str) and specs.strip():
        text = specs.strip().lstrip("~").strip()
        left_text, _, by_text = text.partition("|")
        left = [v for v in re.split(r"[*+:]", left_text) if v.strip()]
        by = [v for v in re.split(r"[*+:]", by_text) if v.strip()]
    else:
        raise SparseLMMError(f"specs must be a factor's name, a formula such as '~ A | B' or a list; got {specs!r}")
    left, by = [v.strip() for v in left], [v.strip() for v in by]
    if left == ["1"] and not by:
        return [], []
    factors = model_factors(fit)
    for name in left + by:
        if name not in factors:
            known = ", ".join(factors) or "none"
            raise SparseLMMError(f"specs name '{name}', which is not a factor of the model's fixed effects "
                                 f"(its factors: {known}); marginal means are over factors")
    return left, by


def model_factors(fit) -> list:
    """The categorical variables of the fixed effects, in order of appearance."""
    levels = fit.design.factor_levels
    names = [deparse(v) for term in fit.design.formula.fixed.terms for v in term]
    return [v for v in dict.fromkeys(names) if v in levels]


def reference_grid(fit) -> tuple[pd.DataFrame, np.ndarray]:
    """emmeans' ref_grid: (one row per combination of factor levels, X of the cells (cells, p))."""
    variables = model_variables(fit)
    factors = model_factors(fit)
    levels = [fit.design.factor_levels[f] for f in factors]
    combos = list(itertools.product(*reversed(levels)))  # the first factor varies fastest
    grid = pd.DataFrame([tuple(reversed(c)) for c in combos], columns=factors) if factors else pd.DataFrame(index=[0])
    cells = len(grid)
    at = {}
    nodes = {deparse(v): v for term in fit.design.formula.fixed.terms for v in term}
    for key, value in variables.items():
        if key not in nodes:  # a grouping factor or a random-effects term's variable: not in X
            continue
        if key in factors:
            codes = np.array([levels[factors.index(key)].index(v) for v in grid[key]], dtype=np.int64)
            at[key] = Categorical(codes, tuple(levels[factors.index(key)]))
        elif isinstance(value, Categorical):
            at[key] = value if value.numeric is None else np.full(cells, value.numeric.mean())
        elif isinstance(value, Columns):  # poly(x, 2), ns(x, 3): the fit's basis at the mean of x, as emmeans
            at_mean = Evaluator(_numeric_means(fit), fit.design.spec.transforms)(nodes[key])
            at[key] = Columns(np.repeat(at_mean.values, cells, axis=0), at_mean.names)
        else:
            at[key] = np.full(cells, float(np.mean(value)))
    blocks = term_columns(fit.design.formula.fixed, at, cells, fit.design.spec.contrasts)
    names = [name for _, _, block_names in blocks for name in block_names]
    X = np.column_stack([c for _, columns, _ in blocks for c in columns])
    return grid, X[:, [names.index(name) for name in fit.design.fixef_names]]


def _numeric_means(fit) -> pd.DataFrame:
    """One row: each numeric column of the data at its mean over the rows fitted (emmeans' reference values)."""
    data = fit.data if fit.design.rows is None else fit.data.iloc[fit.design.rows]
    numeric = data.select_dtypes("number")
    return pd.DataFrame({name: [float(numeric[name].mean())] for name in numeric.columns})


def linear_functions(fit, left: list, by: list) -> tuple[pd.DataFrame, np.ndarray]:
    """(the means' factor columns, linfct (means, p)): cells averaged with equal weights over other factors."""
    grid, X = reference_grid(fit)
    keys = left + by
    if not keys:
        return pd.DataFrame({"1": ["overall"]}), X.mean(axis=0, keepdims=True)
    levels = [fit.design.factor_levels[f] for f in keys]
    rows, linfct = [], []
    for combo in itertools.product(*reversed(levels)):
        combo = tuple(reversed(combo))
        mask = np.all([grid[k].to_numpy() == v for k, v in zip(keys, combo)], axis=0)
        rows.append(combo)
        linfct.append(X[mask].mean(axis=0))
    return pd.DataFrame(rows, columns=keys), np.array(linfct)


def _inference(fit, L: np.ndarray, ddf) -> tuple[np.ndarray, np.ndarray]:
    """(SE, df) of each row of L (rows, p)."""
    if ddf_method(ddf) == SATTERTHWAITE:
        derivatives = fit._varpar()
        return (np.sqrt(np.einsum("ij,jk,ik->i", L, derivatives.vcov_beta, L)),
                np.array([contrast_df(l, derivatives) for l in L]))
    adjusted = fit._vcov_adjusted()
    beta = fit.solution.beta
    return (np.sqrt(np.einsum("ij,jk,ik->i", L, adjusted.vcov_adj, L)),
            np.array([kr_adjust(adjusted, l, beta, q=1).dendf for l in L]))


def emmeans(fit, specs, ddf=SATTERTHWAITE, level: float = 0.95) -> pd.DataFrame:
    """emmeans' ``summary(emmeans(fit, specs, lmer.df))``: factor columns, emmean, SE, df, lower.CL, upper.CL."""
    level = checked_level(level)
    ddf_method(ddf)
    left, by = parse_specs(fit, specs)
    table, L = linear_functions(fit, left, by)
    estimate = L @ fit.solution.beta
    se, df = _inference(fit, L, ddf)
    half = stats.t.ppf(0.5 + level / 2.0, df) * se
    table = table.assign(emmean=estimate, SE=se, df=df, **{"lower.CL": estimate - half, "upper.CL": estimate + half})
    table.attrs["linfct"] = L
    table.attrs["messages"] = _notes(fit, left + by, ddf) + [f"Confidence level used: {level:g}"]
    return table


def _notes(fit, named: list, ddf) -> list:
    """emmeans' notes on a summary: the factors averaged over, and the df method."""
    averaged = [f for f in model_factors(fit) if f not in named]
    notes = [f"Results are averaged over the levels of: {', '.join(averaged)}"] if averaged else []
    return notes + [f"Degrees-of-freedom method: {ddf_method(ddf).lower()}"]


def pairs(fit, specs, ddf=SATTERTHWAITE, adjust: str = "tukey") -> pd.DataFrame:
    """emmeans' ``summary(pairs(emm, adjust))``: contrast, the by factors, estimate, SE, df, t.ratio, p.value."""
    if not isinstance(adjust, str) or adjust.lower() not in ADJUSTMENTS:
        raise SparseLMMError(f"adjust={adjust!r} is not a p-value adjustment; use one of {', '.join(ADJUSTMENTS)}")
    ddf_method(ddf)
    left, by = parse_specs(fit, specs)
    if not left:
        raise SparseLMMError("pairs needs specs naming at least one factor to compare levels of")
    means, L = linear_functions(fit, left, by)
    groups = means.groupby(by, sort=False).indices if by else {(): np.arange(len(means))}
    rows, contrasts_L = [], []
    for key, members in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        for i, j in itertools.combinations(members, 2):
            rows.append([_label(means.iloc[i], left) + " - " + _label(means.iloc[j], left), *key])
            contrasts_L.append(L[i] - L[j])
    C = np.array(contrasts_L)
    estimate = C @ fit.solution.beta
    se, df = _inference(fit, C, ddf)
    t = estimate / se
    table = pd.DataFrame(rows, columns=["contrast"] + by)
    table = table.assign(estimate=estimate, SE=se, df=df, **{"t.ratio": t})
    group_of = np.concatenate([[g] * (len(m) * (len(m) - 1) // 2) for g, m in enumerate(groups.values())])
    sizes = np.array([len(m) for m in groups.values()])[group_of]
    adjust = adjust.lower()
    table["p.value"] = adjusted_p(t, df, sizes, group_of, adjust)
    table.attrs["messages"] = _notes(fit, left + by, ddf) + _adjustment_note(adjust, sizes.max())
    return table


def _adjustment_note(adjust: str, means: int) -> list:
    """emmeans' note on the p-value adjustment (none when a group has a single comparison)."""
    tests = means * (means - 1) // 2
    if adjust == "none" or tests < 2:
        return []
    if adjust == "tukey":
        return [f"P value adjustment: tukey method for comparing a family of {means} estimates"]
    return [f"P value adjustment: {adjust} method for {tests} tests"]


def _label(row: pd.Series, factors: list) -> str:
    """emmeans' level label: the level, prefixed with the factor's name when the level looks like a number."""
    return " ".join(f"{f}{row[f]}" if _numeric_looking(row[f]) else str(row[f]) for f in factors)


def _numeric_looking(level) -> bool:
    try:
        float(level)
        return True
    except ValueError:
        return False


def adjusted_p(t: np.ndarray, df: np.ndarray, means: np.ndarray, group: np.ndarray, adjust: str) -> np.ndarray:
    """Two-sided p-values of the t ratios, adjusted within each group (``means`` per contrast: the group's size)."""
    raw = 2.0 * stats.t.sf(np.abs(t), df)
    if adjust == "none":
        return raw
    out = np.empty_like(raw)
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        if adjust == "tukey":
            out[members] = stats.studentized_range.sf(np.abs(t[members]) * np.sqrt(2.0), means[members], df[members]) \
                if means[members[0]] > 2 else raw[members]
        elif adjust == "bonferroni":
            out[members] = np.minimum(1.0, raw[members] * len(members))
        else:
            out[members] = holm(raw[members])
    return out


def holm(p: np.ndarray) -> np.ndarray:
    """R's p.adjust(p, "holm")."""
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty_like(p)
    out[order] = adjusted
    return out
