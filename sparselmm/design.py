"""The design of a mixed model: response y, fixed-effects matrix X and random-effects matrix Z.

X is dense (n, p): p is small. Z is a ``scipy.sparse`` CSC matrix (n, q) built
from the grouping factors' integer codes in one vectorised step per term. Its
columns are grouped by term, and within a term by level: a term with k columns
and m levels owns q_t = k * m consecutive columns, level j holding columns
j*k .. j*k + k - 1. Terms are ordered as lme4 orders them, by decreasing number
of levels, so that theta comes out in lme4's order.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .coding import model_matrix, term_columns
from .errors import DataError, RankDeficiencyWarning, ScaleWarning
from .formula import Formula, RandomTerm, deparse, parse_formula
from .frame import Categorical, ModelFrame, model_frame

RANK_TOLERANCE = 1e-7  # lme4 drops a column whose QR residual is below this (relative)


@dataclass(frozen=True)
class ReTerm:
    """One random-effects term: k columns (``matrix``, shape (n, k)) times m levels (``codes``, shape (n,))."""

    group: str
    columns: tuple
    levels: tuple
    codes: np.ndarray
    matrix: np.ndarray
    source: RandomTerm | None = None  # the formula's term, to evaluate new data the same way

    @property
    def k(self) -> int:
        return len(self.columns)

    @property
    def m(self) -> int:
        return len(self.levels)

    @property
    def q(self) -> int:
        return self.k * self.m

    def z_block(self) -> sp.csc_matrix:
        """This term's columns of Z, shape (n, k*m)."""
        n = len(self.codes)
        rows = np.repeat(np.arange(n), self.k)
        cols = (self.codes[:, None] * self.k + np.arange(self.k)).ravel()
        return sp.csc_matrix((self.matrix.ravel(), (rows, cols)), shape=(n, self.q))


@dataclass(frozen=True)
class Design:
    """Everything the fit needs from the formula and the data, fixed once.

    ``factor_levels`` codes new data as these data were coded. A design built
    from chunks of rows (:mod:`sparselmm.chunks`) keeps no row-level arrays:
    ``y``, ``X``, ``rows`` and the terms' codes and matrices are then None.
    """

    formula: Formula
    fixef_names: tuple
    dropped_columns: tuple
    terms: tuple
    factor_levels: dict
    nobs: int
    n_dropped: int
    y: np.ndarray | None = None  # (n,)
    X: np.ndarray | None = None  # (n, p)
    rows: np.ndarray | None = None  # (n,) positions of the rows used in the caller's DataFrame
    fit_messages: tuple = ()  # lme4's fitMsgs: dropped columns, predictors on very different scales
    fixef_terms: tuple = ()  # per kept column of X, the label of its model term (R's assign)

    @property
    def has_rows(self) -> bool:
        return self.y is not None

    def require_rows(self, what: str) -> None:
        """Refuse, with a way out, a row-level result of a design built from chunks."""
        if not self.has_rows:
            raise DataError(
                f"{what} need the rows, and this model was fitted from chunks of rows and keeps none of "
                "them: use predict(newdata=chunk) on the data instead"
            )

    @property
    def Z(self) -> sp.csc_matrix:
        """The random-effects model matrix (n, q), term blocks side by side."""
        self.require_rows("Z and the quantities built from it")
        return sp.hstack([t.z_block() for t in self.terms], format="csc")

    @property
    def ngroups(self) -> dict:
        """Levels per grouping factor, by lme4's names, in term order."""
        return {t.group: t.m for t in self.terms}


def build_design(formula, data) -> Design:
    """Parse, evaluate on ``data`` and check a model, as lme4's ``lFormula`` does."""
    formula = formula if isinstance(formula, Formula) else parse_formula(formula)
    frame = model_frame(formula, data)
    terms = sorted((_re_term(t, frame) for t in formula.random), key=lambda t: -t.m)
    check_terms(terms, frame.nobs)
    blocks = term_columns(formula.fixed, frame.variables, frame.nobs)
    X = np.column_stack([column for _, columns, _ in blocks for column in columns])
    names = [name for _, _, block_names in blocks for name in block_names]
    labels = [label for label, columns, _ in blocks for _ in columns]
    X, names, dropped, kept = drop_aliased_columns(X, names)
    check_fixed(names, frame.nobs)
    messages = ([f"{rank_deficiency_message(len(dropped))}"] if dropped else []) + scale_messages(X)
    return Design(
        formula, tuple(names), tuple(dropped), tuple(terms), frame.levels(), frame.nobs, frame.n_dropped,
        y=frame.response, X=X, rows=frame.rows, fit_messages=tuple(messages),
        fixef_terms=tuple(labels[position] for position in kept),
    )


def _re_term(term: RandomTerm, frame: ModelFrame) -> ReTerm:
    matrix, columns = model_matrix(term.expr, frame.variables, frame.nobs)
    grouping = _interaction([frame.variables[deparse(g)] for g in term.group])
    return ReTerm(term.group_name, tuple(columns), grouping.levels, grouping.codes, matrix, term)


def _interaction(factors: list) -> Categorical:
    """The factor of observed level combinations, the first factor varying slowest (R's a:b)."""
    if len(factors) == 1:
        return factors[0]
    key = np.zeros(len(factors[0].codes), dtype=np.int64)
    for factor in factors:
        key = key * len(factor.levels) + factor.codes
    combos, codes = np.unique(key, return_inverse=True)
    labels = []
    for combo in combos:
        parts = []
        for factor in reversed(factors):
            combo, code = divmod(combo, len(factor.levels))
            parts.append(factor.levels[code])
        labels.append(":".join(reversed(parts)))
    return Categorical(codes.astype(np.int64), tuple(labels))


def check_fixed(names: list, nobs: int) -> None:
    """At least one observation must be left for the residual once X is fitted."""
    if len(names) >= nobs:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise DataError(
            f"{nobs} observations cannot estimate {len(names)} fixed effects ({shown}) and a residual "
            "variance; use fewer fixed-effect terms or more data"
        )


def check_terms(terms: list, nobs: int) -> None:
    """lme4's checks of the random-effects terms: at least 2 levels, fewer levels and effects than rows."""
    for term in terms:
        if term.m < 2:
            raise DataError(
                f"the grouping factor '{term.group}' has only {term.m} level in the data used; "
                "a random effect needs at least 2 levels (drop the term or fix the column)"
            )
        if term.m >= nobs:
            raise DataError(
                f"the grouping factor '{term.group}' has {term.m} levels for {nobs} observations; "
                "lme4 requires fewer levels than observations, or the random effects and the "
                "residual variance are not identifiable"
            )
        if term.q >= nobs:
            raise DataError(
                f"the term ({' + '.join(term.columns)} | {term.group}) has {term.q} random effects for "
                f"{nobs} observations; they and the residual variance are not identifiable"
            )


def drop_aliased_columns(X: np.ndarray, names: list) -> tuple[np.ndarray, list, list, list]:
    """Drop columns of X that are linear combinations of earlier ones, as lme4 does (with a warning).

    Returns the kept X, its names, the dropped names and the kept columns' positions.
    """
    basis = np.zeros((X.shape[0], 0))
    keep = []
    for j in range(X.shape[1]):
        column = X[:, j]
        residual = column - basis @ (basis.T @ column)
        residual -= basis @ (basis.T @ residual)  # re-orthogonalise against round-off
        norm = np.linalg.norm(residual)
        if norm > RANK_TOLERANCE * max(np.linalg.norm(column), np.finfo(float).tiny):
            basis = np.column_stack([basis, residual / norm])
            keep.append(j)
    dropped = [names[j] for j in range(X.shape[1]) if j not in keep]
    if not keep:
        raise DataError("every fixed-effects column is zero; the model has no fixed effects to estimate")
    if dropped:
        warnings.warn(f"{rank_deficiency_message(len(dropped))}: {', '.join(dropped)}", RankDeficiencyWarning, stacklevel=3)
    return X[:, keep], [names[j] for j in keep], dropped, keep


SCALE_TOLERANCE = 1e3  # lme4's checkScaleX tol


def scale_messages(X: np.ndarray) -> list[str]:
    """lme4's checkScaleX: a warning when the continuous columns' standard deviations differ from each other,
    or from 1, by more than a factor of 1,000 (columns of only 0 and 1 are not judged)."""
    continuous = [j for j in range(X.shape[1]) if not np.all((X[:, j] == 0) | (X[:, j] == 1))]
    if not continuous or X.shape[0] < 2:
        return []
    with np.errstate(divide="ignore"):
        logs = np.log(np.std(X[:, continuous], axis=0, ddof=1))
    spread = np.abs(logs[:, None] - logs[None, :])
    if max(np.abs(logs).max(), spread.max()) <= np.log(SCALE_TOLERANCE):
        return []
    message = "Some predictor variables are on very different scales: consider rescaling"
    warnings.warn(message, ScaleWarning, stacklevel=4)
    return [message]


def rank_deficiency_message(dropped: int) -> str:
    """lme4's words for dropped aliased columns."""
    plural = "s" if dropped > 1 else ""
    return f"fixed-effect model matrix is rank deficient so dropping {dropped} column{plural} / coefficient{plural}"


@dataclass(frozen=True)
class NewData:
    """New rows coded as a fitted design codes them.

    ``X`` (n, p) has the fit's fixed-effects columns; ``codes`` holds, per term,
    each row's level index (-1 for a level the fit never saw) and ``matrices``
    the term's columns (n, k); ``rows`` are the rows used (no missing values).
    """

    X: np.ndarray
    codes: tuple
    matrices: tuple
    rows: np.ndarray


def code_new_data(design: Design, data, with_random: bool = True) -> NewData:
    """Evaluate ``data`` with the fit's formula and factor levels (for prediction)."""
    frame = model_frame(design.formula, data, levels=design.factor_levels, with_response=False)
    _refuse_unseen_levels(design.formula.fixed, frame, "fixed effects")
    X, names = model_matrix(design.formula.fixed, frame.variables, frame.nobs)
    X = X[:, [names.index(name) for name in design.fixef_names]]
    codes, matrices = [], []
    for term in design.terms if with_random else ():
        _refuse_unseen_levels(term.source.expr, frame, f"the random-effects term for '{term.group}'")
        matrices.append(model_matrix(term.source.expr, frame.variables, frame.nobs)[0])
        codes.append(term_codes(term.levels, [frame.variables[deparse(g)] for g in term.source.group]))
    return NewData(X, tuple(codes), tuple(matrices), frame.rows)


def _refuse_unseen_levels(terms, frame: ModelFrame, where: str) -> None:
    for variable in {deparse(v) for term in terms.terms for v in term}:
        value = frame.variables[variable]
        if isinstance(value, Categorical) and value.numeric is None and np.any(value.codes < 0):
            unseen = sorted({str(i) for i in np.flatnonzero(value.codes < 0)[:3]})
            raise DataError(
                f"'{variable}' in the {where} has values the fit never saw (rows {', '.join(unseen)}); "
                f"its levels are {', '.join(value.levels[:10])}"
            )


def term_codes(levels: tuple, factors: list) -> np.ndarray:
    """Each row's index in a term's ``levels`` (-1 where the level or combination is not among them).

    ``factors`` are the grouping variables coded by fixed levels; an interaction's
    level ``a1:b2`` is found through the integer key of its parts, vectorised.
    """
    if len(factors) == 1 and factors[0].levels == tuple(levels):
        return factors[0].codes
    sizes = [len(f.levels) for f in factors]
    lookups = [{label: i for i, label in enumerate(f.levels)} for f in factors]
    level_keys = np.array([_key(label.split(":"), lookups, sizes) for label in levels], dtype=np.int64)
    row_keys = np.zeros(len(factors[0].codes), dtype=np.int64)
    for factor, size in zip(factors, sizes):
        row_keys = row_keys * size + factor.codes
    known = np.all([f.codes >= 0 for f in factors], axis=0)
    order = np.argsort(level_keys)
    position = np.clip(np.searchsorted(level_keys[order], row_keys), 0, max(len(order) - 1, 0))
    found = known & (level_keys[order][position] == row_keys) if len(order) else np.zeros_like(known)
    return np.where(found, order[position] if len(order) else -1, -1)


def _key(parts: list, lookups: list, sizes: list) -> int:
    if len(parts) != len(lookups):
        return -1  # a level label holding ':' itself; it cannot be matched by parts
    key = 0
    for part, lookup, size in zip(parts, lookups, sizes):
        key = key * size + lookup.get(part, -(10**12))
    return key
