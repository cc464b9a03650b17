"""Likelihood-ratio tables against R: lme4's anova(fit0, fit1) with refit = TRUE and FALSE and its one-model
sequential table, lmerTest's ranova with and without reduced terms; the argument errors."""

import pytest

import inference_reference as ir
import sparselmm as slmm
from sparselmm import SparseLMMError
from sparselmm.inference.likelihood_ratio import linear_model_loglik, reduced_formulas

COMPARISONS = [(case, i) for case in ir.CASES for i in range(len(ir.spec(case)["comparisons"]))]


@pytest.mark.parametrize("case, index", COMPARISONS)
def test_anova_of_two_fits_is_lme4s(case, index):
    comparison = ir.spec(case)["comparisons"][index]
    fit0 = ir.quiet_lmer(comparison["models"]["fit0"], ir.data(case))
    ours = slmm.anova(fit0, ir.fit(case), refit=comparison["refit"])
    ir.assert_table(ours, ir.table(comparison["table"]), what=comparison["call"])


def test_models_are_ordered_by_npar_and_named_as_given():
    fit0 = ir.quiet_lmer(ir.spec("sleepstudy")["comparisons"][0]["models"]["fit0"], ir.data("sleepstudy"))
    table = slmm.anova(ir.fit("sleepstudy"), fit0, names=["slopes", "intercepts"])
    assert list(table.index) == ["intercepts", "slopes"]
    assert list(table.columns) == ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)"]


@pytest.mark.parametrize("case", ir.WITH_TERMS)
def test_anova_of_one_fit_is_lme4s_sequential_table(case):
    ir.assert_table(slmm.anova(ir.fit(case)), ir.table(ir.spec(case)["anova"]["lme4"]), what=case)


@pytest.mark.parametrize("case", ir.CASES)
@pytest.mark.parametrize("reduce_terms, key", [(True, "ranova"), (False, "ranova_no_reduce")])
def test_ranova_is_lmertests(case, reduce_terms, key):
    ir.assert_table(ir.fit(case).ranova(reduce_terms), ir.table(ir.spec(case)[key]), what=f"{case} {key}")


def test_ranova_reduces_a_slope_term_to_its_intercept():
    assert reduced_formulas(ir.fit("sleepstudy")) == {"Days in (Days | Subject)": "Reaction ~ Days + (1 | Subject)"}
    formulas = reduced_formulas(ir.fit("sleepstudy"), reduce_terms=False)
    assert formulas == {"(Days | Subject)": "Reaction ~ Days"}


def test_the_linear_models_loglik_is_rs():
    """R: logLik(lm(Reaction ~ Days, sleepstudy), REML = TRUE / FALSE) = -946.8318317 / -950.1465282."""
    fit = ir.fit("sleepstudy")
    assert linear_model_loglik(fit.design.X, fit.design.y, True) == pytest.approx(-946.8318317, abs=1e-6)
    assert linear_model_loglik(fit.design.X, fit.design.y, False) == pytest.approx(-950.1465282, abs=1e-6)


def test_anova_errors_name_the_problem():
    fit = ir.fit("sleepstudy")
    with pytest.raises(SparseLMMError, match="names must be 2 distinct labels"):
        slmm.anova(fit, fit, names=["a", "a"])
    other = ir.quiet_lmer("Reaction ~ Days + (1 | Subject)", ir.data("sleepstudy").iloc[:100])
    with pytest.raises(SparseLMMError, match="different numbers of rows"):
        slmm.anova(fit, other)
