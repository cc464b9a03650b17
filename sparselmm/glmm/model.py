"""GlmmModel: a design, a family, the coded response and the machinery every PIRLS step runs on.

The design is the LMM's (:class:`sparselmm.design.Design`: the spec that codes new
data, rank-deficient columns dropped, the scale check), with glmer's checks of the
terms (:func:`glmm_design`), learned on the caller's data with the response
evaluated by :mod:`sparselmm.glmm.response`.
The solver is bound once to the pattern of Z'Z and re-used through
``with_products`` for the Z'WZ of every step.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .. import checks
from .._threads import blas_threads
from ..covariance import CovarianceStructure
from ..design import Design
from ..errors import DataError, FormulaError
from ..evaluate import Evaluator
from ..formula import Name, parse_formula
from ..formula.parser import parse
from ..solvers import BlockedSolver, CholmodSolver
from ..solvers.blocks import SMALL_DENSE
from ..spec import learn
from .families import make_family
from .products import WeightedProducts
from .response import check_binomial_successes, evaluate_response, placeholder_name


class GlmmModel:
    """A generalized linear mixed model ready to fit: g(E[y | b]) = offset + X beta + Z b, b = Lambda(theta) u."""

    def __init__(self, design, family, response, formula, weights_text=None, offset_text=None, solver=None):
        self.design, self.family, self.response, self.formula = design, family, response, formula
        self.weights_text, self.offset_text = weights_text, offset_text
        coded = design.coded
        rows = coded.rows
        self.covariance = CovarianceStructure(design.terms)
        self.X = coded.X
        self.y = response.y[rows]
        self.trials = response.trials[rows]
        self.prior_weights = np.ones(len(rows)) if coded.weights is None else coded.weights
        self.weights = self.prior_weights * self.trials  # lme4's weights(fit): trials times the prior weights
        self.offset = np.zeros(len(rows)) if coded.offset is None else coded.offset
        self.family.check(self.y, rows)
        self._response_functions()
        if family.name == "binomial" and response.kind == "numeric":  # R's binomial initialize, weights or not
            check_binomial_successes(self.y, self.weights)
        with blas_threads(lapack=False):
            self.products = WeightedProducts(coded, design.terms)
            unit = self.products.crossproducts(self.weights)
        terms = design.terms
        self._scalar = np.array([t.m for t in terms]) if all(t.k == 1 for t in terms) else None
        if solver is None:
            blocked = BlockedSolver()
            solver = blocked if blocked.fits(unit, self.covariance) else CholmodSolver()
        self._solver_settings = solver
        self._base_solver = solver.bind(unit, self.covariance)

    @property
    def base_solver(self):
        """The solver bound to the pattern of Z'Z, whose ``with_products`` every PIRLS step factors with
        (bound again after unpickling: a CHOLMOD factor cannot be pickled)."""
        if self._base_solver is None:
            with blas_threads(lapack=False):
                unit = self.products.crossproducts(self.weights)
            self._base_solver = self._solver_settings.bind(unit, self.covariance)
        return self._base_solver

    def _response_functions(self) -> None:
        """The family's aic(mu, dev) and dev_resids(mu) for this response, with what can be computed once."""
        self.aic = self.family.aic_function(self.y, self.trials, self.weights)
        self.dev_resids = self.family.dev_resids_function(self.y, self.weights)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_base_solver"] = None
        del state["aic"], state["dev_resids"]  # closures: made again on unpickling
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._response_functions()

    @classmethod
    def from_formula(cls, formula: str, data, family="binomial", link=None, weights=None, offset=None,
                     solver=None) -> "GlmmModel":
        """The model of an lme4 formula over a pandas DataFrame (see :func:`sparselmm.glmer`); ``solver`` (a
        :class:`~sparselmm.solvers.Solver`) replaces the default: blocked where the later terms fit in memory,
        CHOLMOD otherwise."""
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        family = make_family(family, link)
        parsed = parse_formula(formula)
        response = evaluate_response(parsed.response, data, family)
        name = placeholder_name(data)
        frame = data.assign(**{name: response.frame_column()})
        offset_values, offset_text = _offset_argument(offset, data)
        with blas_threads(lapack=False):
            design = glmm_design(replace(parsed, response=Name(name)), frame, weights, offset_values)
        weights_text = weights if isinstance(weights, str) else None
        return cls(design, family, response, parsed, weights_text, offset_text, solver)

    def times_lambda(self, theta: np.ndarray, B: np.ndarray, transpose: bool = False) -> np.ndarray:
        """Lambda B (or Lambda' B): for scalar terms one product by the repeated theta, else the structure's."""
        if self._scalar is None:
            return self.covariance.times_lambda(theta, B, transpose)
        scale = np.repeat(theta, self._scalar)
        return scale * B if B.ndim == 1 else scale[:, None] * B

    def threads(self):
        """The BLAS threads a PIRLS run works in: the solver's choice where its dense block is large, else
        one thread for every pool (the calls are tiny, and threads woken for them wait for a busy core)."""
        if not isinstance(self.base_solver, BlockedSolver) or self.q - self.design.terms[0].q >= SMALL_DENSE:
            return self.base_solver.threads()
        return blas_threads(lapack=False)

    # ------------------------------------------------------------ sizes and names
    @property
    def nobs(self) -> int:
        return len(self.y)

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def q(self) -> int:
        return self.products.q

    @property
    def n_theta(self) -> int:
        return self.covariance.n_theta

    @property
    def fixef_names(self) -> list:
        return list(self.design.fixef_names)

    @property
    def scalar_single_term(self) -> bool:
        """One random-effects term, and it scalar: where adaptive Gauss-Hermite quadrature applies."""
        terms = self.design.terms
        return len(terms) == 1 and terms[0].k == 1

    # ------------------------------------------------------------ errors that name the model
    def naming_the_model(self, message: str) -> DataError:
        fixed = ", ".join(f"'{name}'" for name in self.design.fixef_names)
        groups = ", ".join(f"'{group}'" for group in dict.fromkeys(t.group for t in self.design.terms))
        return DataError(f"{message} (fixed effects: {fixed}; grouping factors: {groups})")

    def pirls_error(self, message: str, theta) -> DataError:
        shown = ", ".join(f"{t:.4g}" for t in np.atleast_1d(theta))
        return self.naming_the_model(
            f"{message} (lme4's words) at theta = ({shown}): the {self.family.name} model with link "
            f"'{self.family.link.name}' gives no valid mean for some rows; check the response against the family, "
            "choose a link whose range holds the data (the inverse Gaussian's default 1/mu^2 needs a positive "
            "linear predictor: try link='log'), or simplify the model"
        )


def glmm_design(formula, data, weights=None, offset=None) -> Design:
    """lme4's glFormula: the LMM's design (learned spec, aliased columns dropped, the scale check), with
    glmer's checks of the terms, which allow as many levels (and random effects) as rows (``allow.n``:
    an observation-level random effect, as in grouseticks' INDEX)."""
    spec, coded, X = learn(formula, data, weights, offset)
    for term in spec.terms:
        if term.m < 2:
            raise DataError(
                f"the grouping factor '{term.group}' has only {term.m} level in the data used; "
                "a random effect needs at least 2 levels (drop the term or fix the column)"
            )
        if term.m > coded.nobs or term.q > coded.nobs:
            raise DataError(
                f"the term ({' + '.join(term.columns)} | {term.group}) has {term.q} random effects ({term.m} levels) "
                f"for {coded.nobs} observations; glmer allows at most one per observation"
            )
    keep = checks.independent_columns(X)
    dropped = checks.dropped_columns(spec.columns, keep)
    spec = spec.with_kept(keep)
    X = X if len(keep) == X.shape[1] else X[:, keep]
    messages = [checks.rank_deficiency_message(len(dropped))] if dropped else []
    messages += checks.scale_messages(checks.column_summary(X))
    coded = replace(coded, X=X)
    return Design(spec, coded.nobs, coded.n_dropped, tuple(messages), coded)


def _offset_argument(offset, data: pd.DataFrame):
    """glmer's ``offset=``: a column's name, an expression on the columns ("log(exposure)"), or one value per row;
    returns (what the frame takes, the text the summary prints)."""
    if offset is None or not isinstance(offset, str):
        return offset, None
    if offset in list(map(str, data.columns)):
        return offset, offset
    try:
        node = parse(offset)
        values = Evaluator(data).numeric(node)
    except (FormulaError, KeyError) as error:
        raise DataError(
            f"offset={offset!r} is neither a column of the data nor an expression on its columns such as "
            "'log(exposure)'"
        ) from error
    return np.broadcast_to(np.asarray(values, dtype=float), (len(data),)).copy(), offset
