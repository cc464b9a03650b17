"""Kenward-Roger with prior weights: pbkrtest 0.5.2 builds Sigma with sigma^2 I_n whatever the weights (its SE on
this fit, 9.1084 and 0.81263, are not those of the weighted model); ours are pbkrtest's formulas with the
weighted model's Sigma = sum gamma_r G_r + sigma^2 W^-1, checked here against that dense computation."""

import numpy as np

import interface_reference as ir
import sparselmm as slmm


def dense_vcov_adjusted(fit):
    X, Z, w = fit.design.X, fit.design.Z.toarray(), fit.design.weights
    G = [Z @ Z.T, np.diag(1.0 / w)]
    gamma = [(fit.sigma * fit.theta[0]) ** 2, fit.sigma**2]
    S = np.linalg.inv(sum(g * M for g, M in zip(gamma, G)))
    phi = np.linalg.inv(X.T @ S @ X)
    P = [-X.T @ S @ M @ S @ X for M in G]
    Q = [[X.T @ S @ Gr @ S @ Gs @ S @ X for Gs in G] for Gr in G]
    IE2 = np.array([[np.trace(S @ G[r] @ S @ G[s]) - 2 * np.trace(phi @ Q[r][s]) + np.trace(phi @ P[r] @ phi @ P[s])
                     for s in range(2)] for r in range(2)])
    W = 2 * np.linalg.inv(IE2)
    U = sum(W[r, s] * (Q[r][s] - P[r] @ phi @ P[s]) for r in range(2) for s in range(2))
    return phi + 2 * phi @ U @ phi


def test_kenward_roger_of_a_weighted_fit_is_that_of_the_weighted_model():
    fit = slmm.lmer("Reaction ~ Days + (1 | Subject)", ir.data("weights_reml"), weights="w")
    np.testing.assert_allclose(fit._vcov_adjusted().vcov_adj, dense_vcov_adjusted(fit), rtol=1e-8)
