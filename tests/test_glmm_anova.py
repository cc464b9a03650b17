"""slmm.anova of glmer fits: lme4's likelihood-ratio table (anova_cbpp.json), and its sequential table of one fit."""

import numpy as np
import pandas as pd
import pytest

import glmer_reference as ref
import sparselmm as slmm

ANOVA = __import__("json").loads((ref.DATA / "anova_cbpp.json").read_text())


def test_likelihood_ratio_table_is_lme4s():
    table = slmm.anova(ref.fit("cbpp_intercept_only"), ref.fit("cbpp_logit_agq1"))
    expected = ref.table(ANOVA["table"]).astype(float)
    assert list(table.columns) == list(expected.columns) and list(table.index) == ["fit0", "fit1"]
    np.testing.assert_allclose(table.to_numpy(dtype=float), expected.to_numpy(), rtol=1e-6, equal_nan=True)
    assert table.loc["fit1", "deviance"] == pytest.approx(-2 * ref.fit("cbpp_logit_agq1").loglik)  # not deviance(fit)


def test_the_order_given_does_not_matter():
    one = slmm.anova(ref.fit("cbpp_logit_agq1"), ref.fit("cbpp_intercept_only"), names=["big", "small"])
    assert list(one.index) == ["small", "big"]
    assert one.loc["big", "Chisq"] == pytest.approx(25.6099375958549, rel=1e-6)


def test_sequential_table_of_one_fit():
    """lme4's anova(fit): per term, Sum Sq of RX beta with sigma = 1 (lme4 1.1-31 gives 25.31264 for period)."""
    table = slmm.anova(ref.fit("cbpp_logit_agq1"))
    assert list(table.index) == ["period"]
    assert table.loc["period", "npar"] == 3
    assert table.loc["period", "Sum Sq"] == pytest.approx(25.31263951, rel=1e-4)
    assert table.loc["period", "F value"] == pytest.approx(table.loc["period", "Mean Sq"])
    assert isinstance(table, pd.DataFrame)
