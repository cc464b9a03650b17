"""The design spec: what a formula means for one data set, learned once and used to code any rows.

Learned from the data a fit is made on: every factor's levels (in R's order), the
parameters of data-dependent transforms (scale()'s centre and spread), the
random-effects terms (each grouping factor's levels, lme4's term order) and the
fixed-effects columns (names, model terms, and which are kept when some are
aliased). :meth:`DesignSpec.code` then codes the fit's rows, every chunk of a
chunked fit and new data for ``predict`` the same way, as formulaic's ModelSpec
and R's model.frame with a fit's xlevels and predvars do.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from .coding import model_matrix, stack_columns, term_columns
from .contrasts import resolve as resolve_contrasts
from .errors import DataError
from .formula import Formula, RandomTerm, deparse, expand_dot, parse_formula
from .frame import MISSING, Categorical, ModelFrame, model_frame


@dataclass(frozen=True)
class TermSpec:
    """One random-effects term: its k columns (the term's model matrix) for each of the m levels of its
    grouping factor, q = k * m random effects."""

    group: str
    columns: tuple
    levels: tuple
    source: RandomTerm
    column_terms: tuple = ()  # per column, the variables of its model term (empty: the intercept)

    @property
    def k(self) -> int:
        return len(self.columns)

    @property
    def m(self) -> int:
        return len(self.levels)

    @property
    def q(self) -> int:
        return self.k * self.m


@dataclass(frozen=True)
class CodedRows:
    """Rows of a data frame coded by a spec.

    ``X`` (n, p) the fixed-effects columns (kept ones, or all); ``y`` (n,) or None;
    per random-effects term, in the spec's order, ``codes`` (n,) the level of each
    row (-1 where the spec has no such level) and ``matrices`` (n, k) its columns;
    ``rows`` the positions in the caller's data of the rows coded (those complete);
    ``weights`` (n,) the prior weights and ``offset`` (n,) the offsets' sum, or None.
    """

    X: np.ndarray
    y: np.ndarray | None
    codes: tuple
    matrices: tuple
    rows: np.ndarray
    n_dropped: int
    weights: np.ndarray | None = None
    offset: np.ndarray | None = None

    @property
    def nobs(self) -> int:
        return len(self.rows)

    def Z(self, terms) -> sp.csc_matrix:
        """The random-effects model matrix (n, q), term blocks side by side (rows of unseen levels are zero)."""
        blocks, n = [], self.nobs
        for term, codes, matrix in zip(terms, self.codes, self.matrices):
            known = np.repeat(codes >= 0, term.k)
            rows = np.repeat(np.arange(n), term.k)[known]
            cols = (codes[:, None] * term.k + np.arange(term.k)).ravel()[known]
            blocks.append(sp.csc_matrix((matrix.ravel()[known], (rows, cols)), shape=(n, term.q)))
        return sp.hstack(blocks, format="csc")


@dataclass(frozen=True)
class DesignSpec:
    """What the formula means for the data the fit was learned from (see the module's docstring)."""

    formula: Formula
    variable_levels: dict  # expression text -> level labels, for every factor
    transforms: dict  # expression text -> parameters of a data-dependent transform
    terms: tuple  # TermSpec, in lme4's order
    columns: tuple  # every fixed-effects column the formula makes, before aliased ones are dropped
    column_terms: tuple  # the model term of each of them (R's assign, as labels)
    kept: tuple  # positions of the columns kept
    weights: str | None = None  # lmer's weights= where it named a column (chunks read it from each)
    offset: str | None = None  # lmer's offset= where it named a column (new data do not use it, as in lme4)
    contrasts: dict = field(default_factory=dict)  # factor -> Contrast in X (lmer's contrasts=, else R's default)
    random_contrasts: dict = field(default_factory=dict)  # factor -> Contrast in random-effects terms (defaults)

    @property
    def fixef_names(self) -> tuple:
        return tuple(self.columns[j] for j in self.kept)

    @property
    def fixef_terms(self) -> tuple:
        return tuple(self.column_terms[j] for j in self.kept)

    @property
    def dropped_columns(self) -> tuple:
        kept = set(self.kept)
        return tuple(name for j, name in enumerate(self.columns) if j not in kept)

    def with_kept(self, kept) -> "DesignSpec":
        return replace(self, kept=tuple(kept))

    def code(self, data, with_response: bool = True, all_columns: bool = False, weights=None,
             offset=None, subset=None, terms=None) -> CodedRows:
        """``data`` coded as the spec codes: the fit's factor levels and transforms, its columns and terms.

        A fixed-effects factor level the spec does not know is an error; a grouping level it does not
        know gets code -1 (a new level, for prediction). ``all_columns`` keeps aliased columns too.
        The formula's offset() terms always apply; ``weights`` and ``offset`` (lmer's arguments) only as
        given here: a fit's chunks pass the spec's, new data for prediction none (as lme4's predict).
        ``terms`` (positions in the spec's terms; for prediction) codes only those random-effects terms,
        reads only the columns they need and keeps rows whose grouping value is missing (code -2).
        """
        formula = self.formula if terms is None else replace(self.formula, random=tuple(
            self.terms[i].source for i in terms))
        frame = model_frame(formula, data, levels=self.variable_levels, with_response=with_response,
                            transforms=self.transforms, weights=weights, offset=offset, subset=subset,
                            missing_groups_ok=terms is not None)
        _refuse_unseen_levels(self.formula.fixed, frame, "fixed effects")
        X, names = model_matrix(self.formula.fixed, frame.variables, frame.nobs, self.contrasts)
        if list(names) != list(self.columns):
            raise DataError(f"the data give the fixed-effects columns {names}, the fit has {list(self.columns)}")
        if not all_columns:
            X = X[:, list(self.kept)]
        codes, matrices = [], []
        for term in self.terms if terms is None else [self.terms[i] for i in terms]:
            _refuse_unseen_levels(term.source.expr, frame, f"random-effects term for '{term.group}'")
            matrices.append(model_matrix(term.source.expr, frame.variables, frame.nobs, self.random_contrasts)[0])
            codes.append(term_codes(term.levels, [frame.variables[deparse(g)] for g in term.source.group]))
        return CodedRows(X, frame.response, tuple(codes), tuple(matrices), frame.rows, frame.n_dropped,
                         frame.weights, frame.offset)


def learn(formula, data, weights=None, offset=None, contrasts=None, subset=None) -> tuple[DesignSpec, CodedRows,
                                                                                           np.ndarray]:
    """The spec of ``formula`` learned from ``data``, those data coded by it (all fixed-effects columns),
    and nothing evaluated twice. The kept columns are decided by the caller (lme4's rank check).
    ``contrasts`` (lmer's: factor -> R's name or a matrix) code the fixed effects; ``subset`` (n,) bools."""
    formula = formula if isinstance(formula, Formula) else parse_formula(formula)
    formula = expand_dot(formula, data.columns)
    frame = model_frame(formula, data, weights=weights, offset=offset, subset=subset)
    fixed_keys = _variable_keys(formula.fixed)
    coded_keys = fixed_keys.union(*(_variable_keys(random.expr) for random in formula.random))
    fixed_contrasts, random_contrasts = resolve_contrasts(contrasts, _factors(frame, coded_keys), fixed_keys)
    terms, codes, matrices = [], [], []
    for random in formula.random:
        blocks = term_columns(random.expr, frame.variables, frame.nobs, random_contrasts)
        matrix, columns = stack_columns(blocks, frame.nobs), [name for _, _, names in blocks for name in names]
        grouping = interaction([frame.variables[deparse(g)] for g in random.group])
        terms.append(TermSpec(random.group_name, tuple(columns), grouping.levels, random,
                              tuple(model_terms(random.expr, blocks))))
        codes.append(grouping.codes)
        matrices.append(matrix)
    order = lme4_term_order([t.m for t in terms])
    blocks = term_columns(formula.fixed, frame.variables, frame.nobs, fixed_contrasts)
    X = stack_columns(blocks, frame.nobs)
    spec = DesignSpec(
        formula, frame.levels(), frame.transforms, tuple(terms[i] for i in order),
        tuple(name for _, _, names in blocks for name in names),
        tuple(label for label, columns, _ in blocks for _ in columns), tuple(range(X.shape[1])),
        weights if isinstance(weights, str) else None, offset if isinstance(offset, str) else None,
        fixed_contrasts, random_contrasts,
    )
    coded = CodedRows(X, frame.response, tuple(codes[i] for i in order), tuple(matrices[i] for i in order),
                      frame.rows, frame.n_dropped, frame.weights, frame.offset)
    return spec, coded, X


def model_terms(expr, blocks) -> list[frozenset]:
    """Per column of a term's model matrix, the variables of the model term it belongs to (R's assign)."""
    variables = ([frozenset()] if expr.intercept else []) + [frozenset(deparse(v) for v in t) for t in expr.terms]
    return [term for term, (_, block, _) in zip(variables, blocks) for _ in block]


def _variable_keys(terms) -> set:
    """The expressions of the variables a term list's columns are made from."""
    return {deparse(variable) for term in terms.terms for variable in term}


def _factors(frame: ModelFrame, keys: set) -> dict:
    """Each factor among ``keys`` (the variables of a model matrix, not a grouping factor alone: its contrast
    would be a K x K matrix for nothing), except numeric grouping columns used as predictors: (levels, ordered)."""
    return {key: (value.levels, value.ordered) for key, value in frame.variables.items()
            if key in keys and isinstance(value, Categorical) and value.numeric is None}


def lme4_term_order(levels: list[int]) -> list[int]:
    """lme4's order of the random-effects terms: by decreasing number of levels, ``rev(order(nl))``, which
    puts the later of two tied terms first; and no reordering at all where the counts never increase."""
    if not any(later > earlier for earlier, later in zip(levels, levels[1:])):
        return list(range(len(levels)))
    ascending = sorted(range(len(levels)), key=lambda i: levels[i])  # R's order(): stable
    return ascending[::-1]


def interaction(factors: list) -> Categorical:
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
    return Categorical(codes.astype(np.int64).ravel(), tuple(labels))


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
    codes = np.where(found, order[position] if len(order) else -1, -1)
    return np.where(np.any([f.codes == MISSING for f in factors], axis=0), MISSING, codes)


def _key(parts: list, lookups: list, sizes: list) -> int:
    if len(parts) != len(lookups):
        return -1  # a level label holding ':' itself; it cannot be matched by parts
    key = 0
    for part, lookup, size in zip(parts, lookups, sizes):
        key = key * size + lookup.get(part, -(10**12))
    return key


def _refuse_unseen_levels(terms, frame: ModelFrame, where: str) -> None:
    for variable in {deparse(v) for term in terms.terms for v in term}:
        value = frame.variables[variable]
        if isinstance(value, Categorical) and value.numeric is None and np.any(value.codes < 0):
            unseen = sorted({str(i) for i in np.flatnonzero(value.codes < 0)[:3]})
            raise DataError(
                f"'{variable}' in the {where} has values the fit never saw (rows {', '.join(unseen)}); "
                f"its levels are {', '.join(value.levels[:10])}"
            )
