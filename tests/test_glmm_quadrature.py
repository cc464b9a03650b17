"""Gauss-Hermite rules for the standard normal: lme4's GHrule."""

import math

import numpy as np
import pytest

from sparselmm.errors import FormulaError
from sparselmm.glmm.quadrature import gauss_hermite

# lme4 1.1-31: print(GHrule(4), digits = 17)
GHRULE_4 = [(-2.33441421833897778, 0.045875854768068512, -3.6436834045962629),
            (-0.74196378430272614, 0.454124145231931453, -1.1941936618130840),
            (0.74196378430272614, 0.454124145231931620, -1.1941936618130840),
            (2.33441421833897733, 0.045875854768068505, -3.6436834045962621)]


def test_lme4s_rule():
    np.testing.assert_allclose(gauss_hermite(4), GHRULE_4, rtol=1e-14)


@pytest.mark.parametrize("n", [1, 2, 9, 25])
def test_exact_for_normal_moments(n):
    """sum_k w_k z_k^j = E[Z^j] for j < 2n: 1, 0, 1, 0, 3, ..."""
    z, w, log_density = np.array(gauss_hermite(n)).T
    for j in range(min(2 * n, 12)):
        moment = 0.0 if j % 2 else float(math.prod(range(1, j, 2)))
        assert np.sum(w * z**j) == pytest.approx(moment, abs=1e-10)
    np.testing.assert_allclose(log_density, -z**2 / 2 - np.log(2 * np.pi) / 2)


def test_bad_orders():
    with pytest.raises(FormulaError, match="1 to 100 points"):
        gauss_hermite(0)
