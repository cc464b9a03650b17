"""The hypothesis matrices of type I, II and III tests, exactly as lmerTest builds them (its ``hypotheses``
attribute), and drop1's marginal terms."""

import numpy as np
import pandas as pd
import pytest

import inference_reference as ir
from sparselmm import SparseLMMError
from sparselmm.inference.contrasts import doolittle_rows, hypotheses


@pytest.mark.parametrize("case", ir.WITH_TERMS)
@pytest.mark.parametrize("kind", [1, 2, 3])
def test_hypotheses_are_lmertests(case, kind):
    expected = ir.spec(case)["anova"]["hypotheses"][f"type{kind}"]
    ours = hypotheses(ir.fit(case), kind)
    assert list(ours) == list(expected)
    for term, L in ours.items():
        np.testing.assert_allclose(L, ir.table(expected[term]).to_numpy(), rtol=0, atol=1e-9, err_msg=term)


@pytest.mark.parametrize("case", ["penicillin", "pastes"])
def test_an_intercept_only_model_has_no_terms(case):
    assert hypotheses(ir.fit(case), 3) == {}
    assert ir.fit(case).anova().empty


def test_drop1_tests_the_marginal_terms_only():
    assert list(hypotheses(ir.fit("ham"), "marginal")) == list(ir.table(ir.spec("ham")["drop1"]["satterthwaite"]).index)


def test_doolittle_gives_the_unit_upper_factor():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 4))
    U = doolittle_rows(X.T @ X)
    R = np.linalg.cholesky(X.T @ X).T
    np.testing.assert_allclose(U, R / np.diag(R)[:, None], atol=1e-12)


def test_type3_needs_the_data():
    fit = ir.fit("ham")
    keep = fit.data
    try:
        fit.data = None
        with pytest.raises(SparseLMMError, match="fit with slmm.lmer"):
            hypotheses(fit, 3)
        fit.data = pd.DataFrame(keep.iloc[:10])
        with pytest.raises(SparseLMMError, match="not the data the model was fitted on"):
            hypotheses(fit, 3)
    finally:
        fit.data = keep
