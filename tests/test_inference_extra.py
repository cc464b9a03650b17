"""Two forms the reference cases lack, against R (tests/data/inference/extra.json, made by make_extra.R):
ranova of uncorrelated slopes (Days || Subject), and the tests of a model without an intercept."""

import json

import pytest

import inference_reference as ir

EXTRA = json.loads((ir.DATA / "extra.json").read_text())


def test_ranova_of_uncorrelated_slopes():
    case = EXTRA["uncorrelated"]
    fit = ir.quiet_lmer(case["formula"], ir._data(case["data"]).copy())
    ir.assert_table(fit.ranova(), ir.table(case["ranova"]), what=case["formula"])


@pytest.fixture(scope="module")
def no_intercept():
    case = EXTRA["no_intercept"]
    return case, ir.quiet_lmer(case["formula"], ir._data(case["data"]).copy())


def test_coef_table_without_intercept(no_intercept):
    case, fit = no_intercept
    ir.assert_table(fit.coef_table(), ir.table(case["coef_table"]), what=case["formula"])


@pytest.mark.parametrize("kind", [1, 2, 3])
def test_anova_without_intercept(no_intercept, kind):
    case, fit = no_intercept
    ir.assert_table(fit.anova(type=kind), ir.table(case["anova"][f"type{kind}"]), what=f"type {kind}")
