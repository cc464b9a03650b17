"""Gauss-Hermite rules for the standard normal density: lme4's ``GHrule(nAGQ)``.

The nodes z_k and weights w_k integrate against phi(z) = exp(-z^2 / 2) / sqrt(2 pi)
(the weights sum to 1), exact for polynomials up to degree 2 nAGQ - 1; lme4 keeps
log phi(z_k) beside them, since its adaptive quadrature divides the integrand by phi.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import FormulaError

MAX_NAGQ = 25  # lme4's mkGlmerDevfun: 0 <= nAGQ <= 25


@lru_cache(maxsize=None)
def gauss_hermite(n: int) -> tuple:
    """((z, w, log phi(z)), ...) for the n-point rule, nodes ascending."""
    if not 1 <= n <= 100:
        raise FormulaError(f"a Gauss-Hermite rule needs 1 to 100 points, not {n}")
    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    weights = weights / np.sqrt(2.0 * np.pi)
    log_density = -0.5 * nodes * nodes - 0.5 * np.log(2.0 * np.pi)
    return tuple((float(z), float(w), float(d)) for z, w, d in zip(nodes, weights, log_density))
