"""Likelihood-ratio comparisons: lme4's ``anova(fit0, fit1, ...)`` and lmerTest's ``ranova``.

``anova`` orders the models by their number of parameters (npar = p + n_theta + 1), refits REML
fits by maximum likelihood first (lme4's ``refit = TRUE``; the REML criteria of models with
different fixed effects are not comparable), and tests each model against the one before it:
Chisq = 2 max(0, logLik_i - logLik_{i-1}) on npar_i - npar_{i-1} df. With one model it gives
lme4's sequential anova table instead (npar, Sum Sq, Mean Sq, F value).

``ranova`` refits the model once per random-effects term, as lmerTest's ``get_newforms`` reduces it:
a term whose left side has no term to drop (``(1 | g)``) is removed; otherwise each droppable
term x of the left side is removed in turn (``(1 + x | g)`` becomes ``(1 | g)``), rows named
``x in (1 + x | g)``. A model left without random effects is an ordinary linear model, and its
(REML) log-likelihood is R's ``logLik.lm``. The refits use ``fit.data``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import SparseLMMError
from ..formula import BinOp, Paren, deparse, expand_double_bars
from ..formula.bars import split_bars
from ..formula.terms import term_list, variable_order
from .contrasts import model_variables

LR_COLUMNS = ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)"]
RANOVA_COLUMNS = ["npar", "logLik", "AIC", "LRT", "Df", "Pr(>Chisq)"]


def chisq_p(statistic, df):
    """Upper chi-square probabilities; NaN where df is not positive (lme4 and lmerTest give NA)."""
    statistic, df = np.asarray(statistic, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, stats.chi2.sf(statistic, np.where(df > 0, df, 1.0)), np.nan)


def compare(*fits, refit: bool = True, names=None) -> pd.DataFrame:
    """lme4's ``anova(fit0, fit1, ...)``; rows named by ``names`` (default ``fit0``, ``fit1``, ... in the order
    given: Python cannot see the caller's variable names), ordered by npar."""
    if len(fits) == 1:
        return sequential_anova(fits[0])
    if not fits:
        raise SparseLMMError("anova needs at least one fitted model")
    if isinstance(names, str):
        raise SparseLMMError(f"names must be a list of {len(fits)} labels, one per model, not the string {names!r}")
    names = [f"fit{i}" for i in range(len(fits))] if names is None else list(names)
    if len(names) != len(fits) or len(set(names)) != len(names):
        raise SparseLMMError(f"names must be {len(fits)} distinct labels, one per model; got {names}")
    if len({f.nobs for f in fits}) > 1:
        raise SparseLMMError(
            f"the models were fitted to different numbers of rows ({', '.join(str(f.nobs) for f in fits)}): "
            "compare models fitted to the same rows (remove missing values first)"
        )
    compared = [ml_fit(f) if refit and f.REML else f for f in fits]
    order = sorted(range(len(fits)), key=lambda i: compared[i].df)  # stable, as R's order()
    rows = [[compared[i].df, compared[i].aic, compared[i].bic, compared[i].loglik, -2.0 * compared[i].loglik]
            for i in order]
    table = pd.DataFrame(rows, index=[names[i] for i in order], columns=LR_COLUMNS[:5], dtype=float)
    loglik, npar = table["logLik"].to_numpy(), table["npar"].to_numpy()
    table["Chisq"] = np.concatenate([[np.nan], 2.0 * np.maximum(0.0, np.diff(loglik))])
    table["Df"] = np.concatenate([[np.nan], np.diff(npar)])
    table["Pr(>Chisq)"] = np.where(table["Df"].to_numpy() == 0, np.nan, chisq_p(table["Chisq"], table["Df"]))
    return table


def ml_fit(fit):
    """lme4's refitML: the same model by maximum likelihood, from the REML fit's theta."""
    refitted = fit.model.fit(REML=False, start=fit.theta)
    refitted.data = getattr(fit, "data", None)
    return refitted


def sequential_anova(fit) -> pd.DataFrame:
    """lme4's ``anova(fit)``: per term, npar, Sum Sq (of RX beta, sequentially), Mean Sq, F value = Mean Sq / sigma^2."""
    effects = (fit.solution.RX @ fit.solution.beta) ** 2
    labels = list(fit.design.fixef_terms)
    rows = {}
    for label in dict.fromkeys(labels):
        if label == "(Intercept)":
            continue
        columns = [j for j, t in enumerate(labels) if t == label]
        ss = float(effects[columns].sum())
        rows[label] = [len(columns), ss, ss / len(columns), ss / len(columns) / fit.sigma**2]
    return pd.DataFrame.from_dict(rows, orient="index", columns=["npar", "Sum Sq", "Mean Sq", "F value"]).astype(float)


# ------------------------------------------------------------------ ranova
def reduced_formulas(fit, reduce_terms: bool = True) -> dict:
    """{row name: formula text} of lmerTest's reduced models (``get_newforms`` / ``rm_complete_terms``)."""
    tree = expand_double_bars(fit.design.formula.tree)
    fixed, bars = split_bars(_ungrouped(tree.right))
    response, fixed_text = deparse(tree.left), deparse(fixed) if fixed is not None else "1"
    texts = [deparse(bar) for bar in bars]
    out = {}
    for index, bar in enumerate(bars):
        others = [f"({t})" for j, t in enumerate(texts) if j != index]
        scope = _drop_scope(bar.left, texts[index]) if reduce_terms else []
        if not scope:
            out[f"({texts[index]})"] = _formula(response, fixed_text, others)
            continue
        for term in scope:
            kept = [t for t in _lhs_labels(bar.left, texts[index]) if t != term]
            lhs = "1" if not kept else " + ".join((["1"] if _lhs_intercept(bar.left, texts[index]) else ["0"]) + kept)
            out[f"{term} in ({texts[index]})"] = _formula(response, fixed_text, others + [f"({lhs} | {deparse(bar.right)})"])
    return out


def _ungrouped(node):
    """The right-hand side without the parentheses that expand_double_bars puts around ``(1 | g) + (0 + x | g)``."""
    if isinstance(node, Paren) and isinstance(node.inner, BinOp) and node.inner.op == "+":
        return _ungrouped(node.inner)
    if isinstance(node, BinOp) and node.op in ("+", "-"):
        return BinOp(node.op, _ungrouped(node.left), _ungrouped(node.right))
    return node


def _formula(response: str, fixed: str, bars: list) -> str:
    """The formula's text; a term already present is not repeated (R's update.formula keeps terms as a set)."""
    return f"{response} ~ {' + '.join([fixed] + list(dict.fromkeys(bars)))}"


def _terms(lhs, text: str):
    return term_list(lhs, variable_order(lhs), text)


def _lhs_labels(lhs, text: str) -> list:
    return [":".join(deparse(v) for v in term) for term in _terms(lhs, text).terms]


def _lhs_intercept(lhs, text: str) -> bool:
    return _terms(lhs, text).intercept


def _drop_scope(lhs, text: str) -> list:
    """R's drop.scope of a bar's left side: its terms whose variables no other term holds all of."""
    terms = [frozenset(deparse(v) for v in term) for term in _terms(lhs, text).terms]
    labels = _lhs_labels(lhs, text)
    return [label for label, term in zip(labels, terms) if not any(term < other for other in terms)]


def ranova(fit, reduce_terms: bool = True) -> pd.DataFrame:
    """lmerTest's ``ranova(fit, reduce.terms)``: ``<none>``, then one row per reduced model, each the fit's
    call again with the reduced formula (lmerTest's ``update(model, formula)``)."""
    if getattr(fit, "call", None) is None:
        raise SparseLMMError("ranova() refits the fit's lmer call with each reduced formula: fit it with slmm.lmer")
    model_variables(fit)  # the data must be there, and be the fit's
    rows = {"<none>": (fit.df, fit.loglik)}
    for name, formula in reduced_formulas(fit, reduce_terms).items():
        if "|" in formula.split("~", 1)[1]:
            reduced = _quiet(lambda: fit.call.evaluate(formula=formula, REML=fit.REML, start=None, verbose=False))
            if reduced.nobs != fit.nobs:
                raise SparseLMMError("number of rows in use has changed: remove missing values first")
            rows[name] = (reduced.df, reduced.loglik)
        else:
            rows[name] = (len(fit.solution.beta) + 1, linear_model_loglik(fit.design.X, fit.design.y, fit.REML,
                                                                          fit.design.weights, fit.design.offset))
    npar = np.array([r[0] for r in rows.values()], dtype=float)
    loglik = np.array([r[1] for r in rows.values()], dtype=float)
    lrt = np.concatenate([[np.nan], 2.0 * (loglik[0] - loglik[1:])])
    df = np.concatenate([[np.nan], npar[0] - npar[1:]])
    p = np.concatenate([[np.nan], chisq_p(lrt[1:], df[1:])])
    return pd.DataFrame({"npar": npar, "logLik": loglik, "AIC": -2.0 * loglik + 2.0 * npar, "LRT": lrt, "Df": df,
                         "Pr(>Chisq)": p}, index=list(rows))


def linear_model_loglik(X: np.ndarray, y: np.ndarray, REML: bool, weights=None, offset=None) -> float:
    """R's ``logLik(lm(y ~ X, weights = w, offset = o), REML)``: the (restricted) log-likelihood of (weighted)
    least squares, ``0.5 (sum(log w) - N (log(2 pi) + 1 - log(N) + log(sum(w r^2))))`` less log|R| for REML,
    R the QR factor of sqrt(w) X and r = y - o - X beta-hat."""
    root = np.ones(len(y)) if weights is None else np.sqrt(weights)
    target = root * (y if offset is None else y - offset)
    Q, R = np.linalg.qr(root[:, None] * X)
    residuals = target - Q @ (Q.T @ target)
    n, p = X.shape
    N = n - p if REML else n
    value = 0.5 * (2.0 * np.sum(np.log(root)) - N * (np.log(2.0 * np.pi) + 1.0 - np.log(N)
                                                     + np.log(residuals @ residuals)))
    return float(value - np.sum(np.log(np.abs(np.diag(R)))) if REML else value)


def _quiet(fit_it):
    """A refit without its warnings (lmerTest's ranova reports the table, not the refits' messages)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_it()
