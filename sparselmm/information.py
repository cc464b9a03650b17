"""The average information: a Hessian of the profiled criterion in theta for the cost of t solves.

With H(theta) = I + Z Lambda Lambda' Z' (V = sigma^2 H), the REML criterion is, up to a constant,

    f(theta) = log|H| + log|X'H^-1 X| + nu log(y'P y),   P = H^-1 - H^-1 X (X'H^-1 X)^-1 X'H^-1,

and its Hessian has a trace part, -tr(P H_i P H_j) + tr(P H_ij), whose expectation
is tr(P H_i P H_j), and a quadratic part in P y. The average of the observed and
expected information (AI-REML, as in ASReml and BLUPF90) keeps only quadratic
forms in w_i = H_i P y and drops the second derivatives H_ij: with r2 = y'P y
(the penalized residual sum of squares),

    AI_ij = (nu / r2) (w_i' P w_j - (y'P w_i)(y'P w_j) / r2),

positive semi-definite (Cauchy-Schwarz in P's inner product). At a REML optimum it
is within 1e-5 of the Hessian on the small reference fits (tests/test_information.py)
and 3e-2 on InstEval. For ML (nu = n, no log|X'H^-1 X|) the trace part holds H^-1
where this has P, so there it is an approximation of the same kind (within a third
on the toy model); the optimizer needs only a good Newton matrix, never its exactness.

Nothing here is n-length: P y = y - X beta - Z Lambda u gives Z'P y = s (the
random-effects score, Lambda's = u), so w_i = Z v_i with

    v_i = (Lambda_i Lambda' + Lambda Lambda_i') s = Lambda_i u + Lambda Lambda_i' s,

and Z'P Z v is the score of the penalized least squares problem whose response is
Z v: its right-hand sides are Z'Z v and X'Z v, solved with the factor already held.
So t parameters cost two products of Z'Z with a (q, t) array and the solves for t
right-hand sides: a tenth of an evaluation for InstEval's 3 or the crossed slopes' 6,
more than an evaluation for the 72 of the maximal Latin square.
"""

from __future__ import annotations

import numpy as np

from .covariance import lower_triangle
from .pls import solve_upper
from .products import times


def average_information(criterion, solution, u: np.ndarray, scores: dict) -> np.ndarray:
    """AI (t, t) at ``solution``'s theta. The solver must still hold that theta's factor; ``u`` (q,) are the
    spherical random effects and ``scores`` the vector-valued terms' rows of s = Z'P y (criterion._scores)."""
    crossprods, covariance, solver = criterion.crossprods, criterion.covariance, criterion.solver
    theta = solution.theta
    V = _directions(covariance, theta, u, scores)  # (q, t): w_i = Z v_i
    ZtZ_V = times(crossprods.ZtZ, V, symmetric=True)
    cu_v = solver.solve_L(covariance.times_lambda(theta, ZtZ_V, transpose=True))
    cbeta_v = solve_upper(solution.RX, crossprods.ZtX.T @ V - solution.RZX.T @ cu_v, transpose=True)
    beta_v = solve_upper(solution.RX, cbeta_v)  # (p, t): the fixed effects of the responses Z v
    b_v = covariance.times_lambda(theta, solver.solve_Lt(cu_v - solution.RZX @ beta_v))
    ZtPZ_V = ZtZ_V - crossprods.ZtX @ beta_v - times(crossprods.ZtZ, b_v, symmetric=True)
    r2 = max(solution.r2, np.finfo(float).tiny)
    wPw = V.T @ ZtPZ_V
    yPw = V.T @ _score_vector(covariance, theta, u, scores)  # (t,)
    return criterion.nu / r2 * ((wPw + wPw.T) / 2.0 - np.outer(yPw, yPw) / r2)


def _directions(covariance, theta: np.ndarray, u: np.ndarray, scores: dict) -> np.ndarray:
    """v_i = Lambda_i u + Lambda Lambda_i' s for every theta entry (q, t): for theta_i = T[a, b] of a term,
    level j's rows are e_a u_j[b] + T[:, b] s_j[a] (a scalar term's: 2 u_j, as s_j = u_j / theta)."""
    V = np.zeros((len(u), covariance.n_theta))
    start = 0
    for index, (term, T) in enumerate(zip(covariance.terms, covariance.templates(theta))):
        rows = slice(start, start + term.q)
        offset = covariance.offsets[index]
        uj = u[rows].reshape(term.m, term.k)
        if term.k == 1:
            V[rows, offset] = 2.0 * u[rows]
        else:
            sj = scores[index].reshape(term.m, term.k)
            for position, (a, b) in enumerate(lower_triangle(term.k)):
                block = np.outer(sj[:, a], T[:, b])
                block[:, a] += uj[:, b]
                V[rows, offset + position] = block.ravel()
        start += term.q
    return V


def _score_vector(covariance, theta: np.ndarray, u: np.ndarray, scores: dict) -> np.ndarray:
    """s = Z'P y (q,): the vector-valued terms' rows as given; a scalar term's u / theta (0 where theta is,
    where its direction v is 0 too)."""
    s = np.zeros(len(u))
    start = 0
    for index, term in enumerate(covariance.terms):
        rows = slice(start, start + term.q)
        if term.k > 1:
            s[rows] = scores[index]
        else:
            value = theta[covariance.offsets[index]]
            s[rows] = u[rows] / value if value != 0.0 else 0.0
        start += term.q
    return s
