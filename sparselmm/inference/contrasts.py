"""The hypothesis matrices L of lmerTest's F tests: types I, II and III, and the marginal ones of drop1.

Each model term (R's term labels: ``Product``, ``Information``, ``Product:Information``) gets a
matrix L (rows, p) and the test is L beta = 0. lmerTest builds them as follows, and so do we:

- type I (sequential): the term's rows of t(L) from the Doolittle decomposition X'X = L U;
- type II: a term that no other term contains is tested marginally (its rows of the identity);
  any other term by the Doolittle rows with the columns of X reordered so that the term and the
  terms containing it come last;
- type III: L = t(X^+ rdX) for X coded with treatment contrasts, rdX holding every term coded by all its
  levels (R's ``model.matrix(~ 0 + term)``), its columns orthogonalised, highest order first, against
  the columns of the terms that contain them; where the fit uses other contrasts (contr.sum, an ordered
  factor's contr.poly, a matrix), each L is mapped to the fit's coefficients by L zapsmall(X_trt^+ X),
  as lmerTest's get_contrasts_type3 does;
- with one term or one column of X, every type is type I (lmerTest's shortcut).

A term contains another when it has all of the other's variables and more, and the same
numeric variables (lmerTest's ``containment``). Shapes: X (n, p), each L (rows, p).
"""

from __future__ import annotations

import numpy as np

from ..coding import model_matrix, term_columns
from ..contrasts import contrast
from ..errors import SparseLMMError
from ..formula import TermList, deparse
from ..frame import Categorical, model_frame

DOOLITTLE_EPS = 1e-6


class ModelTerms:
    """The fixed part of a fitted model as lmerTest sees it: term labels, their columns and variables."""

    def __init__(self, fit):
        design = fit.design
        self.fit = fit
        self.fixed = design.formula.fixed
        self.intercept = self.fixed.intercept
        self.labels = [":".join(deparse(v) for v in term) for term in self.fixed.terms]
        self.variables = {label: [deparse(v) for v in term] for label, term in zip(self.labels, self.fixed.terms)}
        self.names = list(design.fixef_names)
        self.columns = {label: [j for j, t in enumerate(design.fixef_terms) if t == label] for label in self.labels}
        self._factors = set(design.factor_levels)

    def numeric(self, label: str) -> set:
        return {v for v in self.variables[label] if v not in self._factors}

    def contains(self, outer: str, inner: str) -> bool:
        """lmerTest's term_contain: ``outer`` has all of ``inner``'s variables and more, the same numeric ones."""
        a, b = set(self.variables[inner]), set(self.variables[outer])
        return a < b and self.numeric(inner) == self.numeric(outer)

    def containing(self, label: str) -> list:
        return [other for other in self.labels if self.contains(other, label)]

    def marginal(self) -> list:
        """R's drop.scope: the terms whose variables no other term holds all of."""
        return [t for t in self.labels
                if not any(set(self.variables[t]) < set(self.variables[o]) for o in self.labels if o != t)]


def doolittle_rows(XtX: np.ndarray) -> np.ndarray:
    """t(L) of lmerTest's Doolittle decomposition X'X = L U (unit lower L; entries below 1e-6 zeroed), (p, p)."""
    n = XtX.shape[0]
    L, U = np.eye(n), np.zeros((n, n))
    for i in range(n):
        U[i] = XtX[i] - L[i, :i] @ U[:i]
        if i + 1 < n:
            column = XtX[i + 1:, i] - L[i + 1:, :i] @ U[:i, i]
            L[i + 1:, i] = 0.0 if abs(U[i, i]) < DOOLITTLE_EPS else column / U[i, i]
    L[np.abs(L) < DOOLITTLE_EPS] = 0.0
    return L.T


def zapsmall(x: np.ndarray, digits: int = 7) -> np.ndarray:
    """R's zapsmall: round to ``digits`` significant digits of the largest entry."""
    x = np.asarray(x, dtype=float)
    largest = np.max(np.abs(x)) if x.size else 0.0
    places = max(0, digits - int(np.ceil(np.log10(largest)))) if largest > 0 else digits
    return np.round(x, places)


def hypotheses(fit, kind: int | str) -> dict:
    """{term label: L (rows, p)} for ``kind`` in 1, 2, 3 or "marginal" (drop1's), in term order."""
    terms = ModelTerms(fit)
    p = len(terms.names)
    if kind == "marginal":
        return {t: np.eye(p)[terms.columns[t]] for t in terms.marginal()}
    if p == 1 and terms.intercept:
        return {}
    if kind == 1 or p <= 1 or len(terms.labels) <= 1:
        return _type1(fit, terms)
    return _type2(fit, terms) if kind == 2 else _type3(fit, terms)


def _XtX(fit) -> np.ndarray:
    return fit.model.crossprods.XtX


def _type1(fit, terms: ModelTerms) -> dict:
    L = np.eye(1) if len(terms.names) == 1 else doolittle_rows(_XtX(fit))
    return {t: L[terms.columns[t]] for t in terms.labels}


def _type2(fit, terms: ModelTerms) -> dict:
    XtX, p = _XtX(fit), len(terms.names)
    out = {}
    for label in terms.labels:
        containing = terms.containing(label)
        if not containing:
            out[label] = np.eye(p)[terms.columns[label]]
            continue
        last = [j for t in [label] + containing for j in terms.columns[t]]
        order = [j for j in range(p) if j not in last] + last
        L = doolittle_rows(XtX[np.ix_(order, order)])
        rows = [position for position, j in enumerate(order) if j in terms.columns[label]]
        back = np.empty(p, dtype=int)
        back[order] = np.arange(p)
        out[label] = L[rows][:, back]
    return out


def _type3(fit, terms: ModelTerms) -> dict:
    rdX, rd_names = full_dummy_matrix(fit, terms)
    X, names, to_fit = _treatment_design(fit, terms)
    L = zapsmall(np.linalg.lstsq(X, rdX, rcond=None)[0].T)  # (r, p): t(ginv(X) rdX)
    order = sorted(terms.labels, key=lambda t: -len(terms.variables[t]))  # stable: R's order(decreasing)
    for label in order:
        containing = terms.containing(label)
        if containing:
            basis = L[:, [j for t in containing for j in terms.columns[t]]]
            own = L[:, terms.columns[label]]
            L[:, terms.columns[label]] = zapsmall(own - basis @ np.linalg.lstsq(basis, own, rcond=None)[0])
    position = {name: i for i, name in enumerate(rd_names)}
    Lp = L[[position[name] for name in names]]  # (p, p): rows named as X's columns
    out = {}
    for label in terms.labels:
        block = Lp[:, terms.columns[label]].T
        block = block[np.abs(block).sum(axis=1) > 1e-8]
        out[label] = block if to_fit is None else block @ to_fit
    return out


def _treatment_design(fit, terms: ModelTerms) -> tuple[np.ndarray, list, np.ndarray | None]:
    """(X coded with contr.treatment for every factor, its column names, the map M with X_fit = X M, or None
    where the fit's X is that matrix): lmerTest's type III contrasts are made for treatment coding."""
    X, names = fit.design.X, list(terms.names)
    fixed = {deparse(v) for term in terms.fixed.terms for v in term}  # not grouping factors: K x K for nothing
    if all(c.name == "contr.treatment" for key, c in fit.design.spec.contrasts.items() if key in fixed):
        return X, names, None
    variables = model_variables(fit)
    treatment = {key: contrast("contr.treatment", value.levels, key) for key, value in variables.items()
                 if key in fixed and isinstance(value, Categorical) and value.numeric is None}
    X_trt, trt_names = model_matrix(terms.fixed, variables, fit.nobs, treatment)
    if X_trt.shape[1] != X.shape[1]:
        raise SparseLMMError("type III tests of a model with non-treatment contrasts and aliased fixed-effect columns "
                             "are not available; use type=1 or 2, or treatment contrasts")
    return X_trt, trt_names, zapsmall(np.linalg.lstsq(X_trt, X, rcond=None)[0])  # lmerTest's map


def full_dummy_matrix(fit, terms: ModelTerms) -> tuple[np.ndarray, list]:
    """lmerTest's rdX (n, r): the intercept, then each term coded by all its levels; and its column names."""
    variables = model_variables(fit)
    n = fit.nobs
    columns, names = ([np.ones(n)], ["(Intercept)"]) if terms.intercept else ([], [])
    for term in terms.fixed.terms:
        for _, block, block_names in term_columns(TermList(False, (term,)), variables, n):
            columns += block
            names += block_names
    return np.column_stack(columns), names


def model_variables(fit) -> dict:
    """The model frame's variables of the fitted rows (from ``fit.data``, which ``slmm.lmer`` keeps)."""
    if hasattr(fit.design, "dask_rows"):  # fit.data is a Dask DataFrame: its model frame would be every row
        fit.design.require_rows("type III tests (anova's default; anova(type=1), drop1 and coef_table need no "
                                "rows), emmeans and ranova")
    data = getattr(fit, "data", None)
    if data is None:
        raise SparseLMMError(
            "this needs the data the model was fitted on, and the fit does not hold it: fit with slmm.lmer(formula, "
            "data), or set fit.data = <the DataFrame> before calling it"
        )
    rows = fit.design.rows
    if rows is not None and len(rows) and rows.max() < len(data):
        # the rows the fit used (after subset=, na_action and rows missing a weight or offset), coded as the fit
        # coded them (its levels, and poly()/ns()/scale() bases learned before any subset, as R's model frame)
        spec = fit.design.spec
        frame = model_frame(fit.design.formula, data.iloc[rows], levels=spec.variable_levels,
                            transforms=spec.transforms)
    else:
        frame = model_frame(fit.design.formula, data)
    if frame.nobs != fit.nobs or (rows is not None and frame.nobs != len(rows)):
        raise SparseLMMError(
            f"fit.data gives {frame.nobs} complete rows where the fit used {fit.nobs}: it is not the data the "
            "model was fitted on; set fit.data to that DataFrame"
        )
    return frame.variables
