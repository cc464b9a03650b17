"""Quantities after the fit, from the sparse factor: conditional variances, the hat matrix's trace and leverages.

All of them are exact and none forms an n x n or q x q dense matrix:

- conditional covariance of the random effects (lme4's condVar): sigma^2 T (A^-1)_jj T'
  per level j, from the diagonal blocks of A^-1 (``SchurInverse``);
- the hat matrix H (fitted = H y) of the penalized system W = [Z Lambda, X]:
  tr(H) = p + q - tr(A^-1) - |A^-1 M RX^-1|_F^2 with M = Lambda' Z'X (q x p);
- leverages h_i = zt_i' A^-1 zt_i + |RX^-T (x_i - K' zt_i)|^2 with zt_i the i-th row
  of Z Lambda and K = A^-1 M, which sum to tr(H).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg as la
import scipy.sparse as sp

from .inverse import SchurInverse


def conditional_covariances(fit, inverse: SchurInverse) -> dict:
    """Per term (VarCorr's labels), the (m, k, k) conditional covariances of its random effects."""
    covariance = fit.model.covariance
    out, offset = {}, 0
    for i, (label, term, T) in enumerate(zip(covariance.group_labels(), fit.design.terms, covariance.templates(fit.theta))):
        blocks = inverse.first_term_blocks if i == 0 else inverse.later_blocks(offset, term.k, term.m)
        out[label] = fit.sigma**2 * np.einsum("ab,lbc,dc->lad", T, blocks, T)
        offset += term.q
    return out


def ranef_table(fit, covariances: dict) -> pd.DataFrame:
    """lme4's ``as.data.frame(ranef(fit, condVar = TRUE))``: grpvar, term, grp, condval, condsd."""
    pieces = []
    labels = fit.model.covariance.group_labels()
    for group in dict.fromkeys(t.group for t in fit.design.terms):
        for index, (label, term) in enumerate(zip(labels, fit.design.terms)):
            if term.group != group:
                continue
            values = fit.term_ranef(index)
            sd = np.sqrt(np.diagonal(covariances[label], axis1=1, axis2=2))
            for c, column in enumerate(term.columns):
                pieces.append(pd.DataFrame({
                    "grpvar": group, "term": column, "grp": list(term.levels),
                    "condval": values[:, c], "condsd": sd[:, c],
                }))
    return pd.concat(pieces, ignore_index=True)


def _fixed_part(fit):
    """K = A^-1 Lambda' Z'X (q, p) and RX^-1 (p, p) at the fit's theta."""
    return fit.K, la.solve_triangular(fit.solution.RX, np.eye(fit.solution.RX.shape[0]))


def hat_trace(fit, inverse: SchurInverse) -> float:
    """tr(H), the model's effective number of parameters."""
    K, RX_inv = _fixed_part(fit)
    q, p = K.shape
    return p + q - inverse.trace() - float(np.sum((K @ RX_inv) ** 2))


def hatvalues(fit, inverse: SchurInverse) -> np.ndarray:
    """Leverage of every row used, shape (n,). With prior weights the rows of Z and X are those of
    W^(1/2) Z and W^(1/2) X, as in the weighted products the fit was made from (lme4's hatvalues)."""
    K, RX_inv = _fixed_part(fit)
    ZL = (fit.design.Z @ fit.model.covariance.lambda_matrix(fit.theta)).tocsr()
    X = fit.design.X
    if fit.design.weights is not None:
        root = np.sqrt(fit.design.weights)
        ZL, X = sp.diags(root) @ ZL, X * root[:, None]
    random = inverse.quadratic_forms(ZL)
    fixed = np.sum(((X - ZL @ K) @ RX_inv) ** 2, axis=1)
    return random + fixed
