"""Predictions and simulated responses of a glmer fit, as lme4's ``predict`` and ``simulate``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import predict as lmm_predict
from ..errors import DataError

TYPES = ("link", "response")


def predict(fit, newdata=None, type: str = "link", re_form=None, allow_new_levels: bool = False) -> np.ndarray:
    """The linear predictor of the LMM's prediction (fixed part, offsets, included terms), then the inverse link
    for type="response". Without newdata and with every term included: the fit's own eta and mu."""
    if type not in TYPES:
        raise DataError(f"type must be 'link' or 'response', not {type!r}")
    if newdata is None and re_form is None:
        eta = fit.linear_predictor
    else:
        eta = lmm_predict.predict(fit, newdata, re_form, allow_new_levels)
    if type == "link":
        return eta
    out = np.full(len(eta), np.nan)
    present = ~np.isnan(eta)
    out[present] = fit.family.link.linkinv(eta[present])
    return out


def simulate(fit, nsim: int = 1, seed=None) -> pd.DataFrame:
    """(n, nsim) responses sim_1, ...: u ~ N(0, I) anew, mu = g^-1(offset + X beta + Z Lambda u), y ~ family(mu).

    Binomial responses come as lme4's y (0/1, or proportions of the trials for cbind and weights)."""
    if not isinstance(nsim, (int, np.integer)) or nsim < 1:
        raise ValueError(f"nsim must be a positive integer, not {nsim!r}")
    rng = np.random.default_rng(seed)
    model = fit.model
    fixed = model.offset + model.X @ fit.beta
    draws = np.empty((model.nobs, nsim))
    for j in range(nsim):
        u = rng.standard_normal(model.q)
        eta = fixed + model.products.Z_times(model.covariance.times_lambda(fit.theta, u))
        mu = model.family.link.linkinv(eta)
        draws[:, j] = model.family.simulate(mu, model.weights, model.trials, fit.sigma, rng)
    return pd.DataFrame(draws, columns=[f"sim_{i + 1}" for i in range(nsim)])
