"""lmerTest's variance-parameter quantities: vcov_varpar (2 H^-1, H the Hessian of the deviance in (theta, sigma))
and Jac_list (d vcov(beta) / d varpar), against lmerTest's slots in every reference case."""

import numpy as np
import pytest

import inference_reference as ir
from sparselmm.inference.varpar import VarparDeviance


@pytest.mark.parametrize("case", ir.CASES)
def test_vcov_varpar_and_jacobian_are_lmertests(case):
    internals = ir.spec(case)["satterthwaite_internals"]
    ours = ir.fit(case)._varpar()
    assert ours.names == internals["varpar_names"]
    expected = ir.table(internals["vcov_varpar"]).to_numpy()
    scale = np.abs(expected).max()
    assert np.abs(ours.vcov_varpar - expected).max() <= 1e-5 * scale  # lmerTest's own numDeriv: about 1e-6
    jacobian = np.array([np.array(j["values"], dtype=float) for j in internals["Jac_list"]])
    assert np.abs(ours.jacobian - jacobian).max() <= 1e-6 * np.abs(jacobian).max()


@pytest.mark.parametrize("case", ["sleepstudy", "ham"])
def test_the_gradient_is_exact(case):
    """The exact gradient of D(theta, sigma) against its Richardson-extrapolated central differences."""
    fit = ir.fit(case)
    deviance = VarparDeviance(fit)
    x = np.append(fit.theta * 1.1, fit.sigma * 0.9)
    gradient = deviance.gradient(x[:-1], x[-1])

    def numeric(i, h):
        e = np.zeros_like(x)
        e[i] = h
        return (deviance.value((x + e)[:-1], (x + e)[-1]) - deviance.value((x - e)[:-1], (x - e)[-1])) / (2 * h)

    for i in range(len(x)):
        h = 1e-3 * abs(x[i])
        richardson = (4 * numeric(i, h / 2) - numeric(i, h)) / 3
        assert gradient[i] == pytest.approx(richardson, rel=1e-6, abs=1e-7)
