"""The design of a fitted model: its spec, the checks lme4 makes on it, and (in memory) its coded rows.

y (n,), X (n, p, dense: p is small) and Z (n, q, a ``scipy.sparse`` CSC matrix)
come from the spec's coding of the data (:mod:`sparselmm.spec`). Z's columns are
grouped by term, and within a term by level: a term with k columns and m levels
owns q_t = k * m consecutive columns, level j holding columns j*k .. j*k + k - 1.
Terms are in lme4's order, so that theta comes out in lme4's order. A design
built from chunks of rows keeps no rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from . import checks
from .errors import DataError
from .rows import RowLayout, refuse_missing, subset_mask
from .spec import CodedRows, DesignSpec, learn


@dataclass(frozen=True)
class Design:
    """Everything the fit needs from the formula and the data, fixed once."""

    spec: DesignSpec
    nobs: int
    n_dropped: int
    fit_messages: tuple = ()  # lme4's fitMsgs: dropped columns, predictors on very different scales
    coded: CodedRows | None = None  # the fit's rows (None for a design from chunks)
    layout: RowLayout | None = None  # where those rows are in the caller's data (subset, na_action)

    # ------------------------------------------------------------ what the spec says
    @property
    def formula(self):
        return self.spec.formula

    @property
    def terms(self) -> tuple:
        return self.spec.terms

    @property
    def fixef_names(self) -> tuple:
        return self.spec.fixef_names

    @property
    def fixef_terms(self) -> tuple:
        """Per fixed effect, the label of its model term (R's assign)."""
        return self.spec.fixef_terms

    @property
    def dropped_columns(self) -> tuple:
        return self.spec.dropped_columns

    @property
    def factor_levels(self) -> dict:
        return self.spec.variable_levels

    @property
    def ngroups(self) -> dict:
        """Levels per grouping factor, by lme4's names, in term order."""
        return {t.group: t.m for t in self.terms}

    # ------------------------------------------------------------ the rows (in memory)
    @property
    def has_rows(self) -> bool:
        return self.coded is not None

    def require_rows(self, what: str) -> None:
        """Refuse, with a way out, a row-level result of a design built from chunks."""
        if not self.has_rows:
            raise DataError(
                f"{what} need the rows, and this model was fitted from chunks of rows and keeps none of "
                "them: use predict(newdata=chunk) on the data instead"
            )

    @property
    def X(self) -> np.ndarray | None:
        return self.coded.X if self.has_rows else None

    @property
    def y(self) -> np.ndarray | None:
        return self.coded.y if self.has_rows else None

    @property
    def weights(self) -> np.ndarray | None:
        """The prior weights of the rows used, or None."""
        return self.coded.weights if self.has_rows else None

    @property
    def offset(self) -> np.ndarray | None:
        """The offsets' sum over the rows used, or None."""
        return self.coded.offset if self.has_rows else None

    @property
    def rows(self) -> np.ndarray | None:
        """Positions in the caller's DataFrame of the rows used."""
        return self.coded.rows if self.has_rows else None

    @property
    def Z(self) -> sp.csc_matrix:
        """The random-effects model matrix (n, q), term blocks side by side."""
        self.require_rows("Z and the quantities built from it")
        return self.coded.Z(self.terms)


def build_design(formula, data, weights=None, offset=None, contrasts=None, subset=None, control=None,
                 na_action: str = "omit") -> Design:
    """Learn the spec of a model from ``data`` and check it, as lme4's ``lFormula`` does.

    ``subset`` and ``na_action`` are lmer's (see :mod:`sparselmm.rows`); ``control`` (an
    :class:`~sparselmm.control.LmerControl`) sets how lme4's checks of the terms report."""
    mask = subset_mask(data, subset)
    spec, coded, X = learn(formula, data, weights, offset, contrasts, mask)
    scope = np.arange(len(data)) if mask is None else np.flatnonzero(mask)
    if na_action == "fail":
        refuse_missing(data, spec.formula.columns(), scope, coded.n_dropped)
    layout = RowLayout(data.index, scope, coded.rows, na_action)
    checks.check_terms(spec.terms, coded.nobs, None if control is None else control.checks)
    keep = checks.independent_columns(X)
    dropped = checks.dropped_columns(spec.columns, keep)
    spec = spec.with_kept(keep)
    checks.check_fixed(spec.fixef_names, coded.nobs)
    X = X if len(keep) == X.shape[1] else X[:, keep]
    messages = [checks.rank_deficiency_message(len(dropped))] if dropped else []
    messages += checks.scale_messages(checks.column_summary(X))
    coded = replace(coded, X=X)
    return Design(spec, coded.nobs, coded.n_dropped, tuple(messages), coded, layout)
