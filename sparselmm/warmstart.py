"""A starting theta for a large fit from a fit to a sample of its groups.

On a large design most of the optimizer's evaluations are spent travelling from
lme4's start (identity templates) to the neighbourhood of the optimum. A fit to
the rows of a tenth of the levels of the factor with the most levels lands in
that neighbourhood at a tenth of the cost per evaluation; the fit to all rows
then starts there and needs fewer of its expensive evaluations. The answer is
the full data's optimum either way (the full fit runs its optimizer and lme4's
checks as always); only the path to it is shorter.

Only for designs that keep their rows, for the gradient optimizer, and when the
caller gave no start. Anything that goes wrong in the sample (a fixed-effect
column without support in it, a degenerate factor) leaves lme4's start.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from .errors import SparseLMMError

WARM_NOBS = 100_000  # below this, evaluations are cheap and the sample saves little
SAMPLE_FRACTION = 0.1  # of the sampled factor's levels
MIN_SAMPLED_LEVELS = 200  # fewer levels estimate that factor's variance too roughly to help
MIN_DIAGONAL = 0.1  # a template diagonal at 0 has a zero gradient there: start off the bound
SEED = 20261201


def sample_start(model, REML: bool) -> tuple[np.ndarray, str] | None:
    """(theta, what was done) from a fit to a sample of the largest factor's levels, or None."""
    design = model.design
    if not design.has_rows or design.nobs < WARM_NOBS:
        return None
    term_index = int(np.argmax([term.m for term in design.terms]))
    term = design.terms[term_index]
    sampled = int(np.ceil(SAMPLE_FRACTION * term.m))
    if sampled < MIN_SAMPLED_LEVELS:
        return None
    started = time.perf_counter()
    levels = np.random.default_rng(SEED).choice(term.m, size=sampled, replace=False)
    rows = np.flatnonzero(np.isin(design.coded.codes[term_index], levels))
    try:
        theta, evaluations = _fit_sample(model, rows, REML)
    except (SparseLMMError, np.linalg.LinAlgError):
        return None
    diagonal = model.covariance.lower == 0
    theta[diagonal] = np.maximum(theta[diagonal], MIN_DIAGONAL)
    seconds = time.perf_counter() - started
    note = (f"started from a fit to {sampled} of the {term.m} levels of '{term.group}' ({len(rows)} rows, "
            f"{evaluations} evaluations, {seconds:.2g} s)")
    return theta, note


def _fit_sample(model, rows: np.ndarray, REML: bool) -> tuple[np.ndarray, int]:
    """The optimum theta of the same model on ``rows`` of its data, by the gradient optimizer alone."""
    from .optimizers import LbfgsOptimizer

    sample = type(model)(replace(model.design, coded=_rows_of(model.design.coded, rows), nobs=len(rows)))
    problem = sample.problem(sample.criterion(REML))
    result = LbfgsOptimizer().minimize(problem)
    return np.array(result.x, dtype=float), result.nfev


def _rows_of(coded, rows: np.ndarray):
    """The coded rows at positions ``rows``."""
    pick = lambda values: None if values is None else values[rows]  # noqa: E731
    return replace(coded, X=coded.X[rows], y=coded.y[rows], codes=tuple(c[rows] for c in coded.codes),
                   matrices=tuple(m[rows] for m in coded.matrices), rows=coded.rows[rows],
                   weights=pick(coded.weights), offset=pick(coded.offset))
