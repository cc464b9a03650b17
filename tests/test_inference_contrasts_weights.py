"""Inference on fits that use lmer's newer arguments, against lmerTest 3.1-3 / emmeans 1.8.4 (numbers from
tests/data/interface/make_inference_interface.R, printed with 10 significant digits): type III anova with
non-treatment contrasts (contr.sum, an ordered factor's contr.poly), emmeans over such factors and next to
poly(), and ranova of a fit with prior weights or an offset (the reduced model is a weighted lm with the offset)."""

import pandas as pd
import pytest

import interface_reference as ir
import sparselmm as slmm


@pytest.fixture(scope="module")
def ordered():
    return ir.data("ordered_default_poly")


@pytest.fixture(scope="module")
def sleep():
    return ir.data("weights_reml")


def test_type3_with_sum_contrasts(ordered):
    fit = slmm.lmer("y ~ dose * x + (1 | g)", ordered, contrasts={"dose": "contr.sum"})
    table = fit.anova(type=3)
    assert table["F value"].tolist() == pytest.approx([10.6736768091, 22.9822776545, 0.2501353308], rel=1e-6)
    assert table["DenDF"].tolist() == pytest.approx([214.2982778, 213.1709323, 214.8879366], rel=1e-6)


def test_type3_with_an_ordered_factor(ordered):
    table = slmm.lmer("y ~ Type * x + (1 | g)", ordered).anova(type=3)
    assert table["F value"].tolist() == pytest.approx([60.831259434, 34.701499658, 1.166158871], rel=1e-4)
    assert table["DenDF"].tolist() == pytest.approx([209.6410111, 209.2832641, 210.1186909], rel=1e-4)


def test_emmeans_over_an_ordered_factor(ordered):
    table = slmm.lmer("y ~ Type + x + (1 | g)", ordered).emmeans("Type")
    assert table["emmean"].tolist() == pytest.approx([2.470734726, 2.875355584, 3.648205041, 4.156218080,
                                                      4.254810135], rel=1e-8)
    assert table["SE"].tolist() == pytest.approx([0.1864510329, 0.1901526422, 0.1869546290, 0.1827797261,
                                                  0.1897483162], rel=1e-6)
    assert table["df"].tolist() == pytest.approx([38.06437895, 41.00443627, 38.47326864, 35.27666271,
                                                  40.71186364], rel=1e-4)


def test_emmeans_with_sum_contrasts():
    data = ir.data("contrasts_sum")
    fit = slmm.lmer("score ~ Machine + (1 | Worker) + (1 | Worker:Machine)", data, contrasts={"Machine": "contr.sum"})
    table = fit.emmeans("Machine")
    assert table["emmean"].tolist() == pytest.approx([52.35555556, 60.32222222, 66.27222222], rel=1e-8)
    assert table["df"].tolist() == pytest.approx([8.521698601] * 3, rel=1e-6)


def test_emmeans_beside_poly_evaluates_the_basis_at_the_mean(ordered):
    table = slmm.lmer("y ~ dose + poly(x, 2) + (1 | g)", ordered).emmeans("dose")
    assert table["emmean"].tolist() == pytest.approx([3.435664882, 3.202352207, 4.091407297, 3.243544833], rel=1e-8)
    assert table["SE"].tolist() == pytest.approx([0.2067142833, 0.2018119145, 0.2030593360, 0.2042488178], rel=1e-6)


@pytest.mark.parametrize("arguments, formula, loglik", [
    ({"weights": "w"}, "Reaction ~ Days + (1 | Subject)", -950.0970896),
    ({}, "Reaction ~ Days + offset(off) + (1 | Subject)", -957.2644060),
])
def test_ranova_of_a_weighted_or_offset_fit(sleep, arguments, formula, loglik):
    table = slmm.lmer(formula, sleep, **arguments).ranova()
    assert table.loc["(1 | Subject)", "logLik"] == pytest.approx(loglik, rel=1e-8)


def test_types_2_and_3_with_helmert_and_an_ordered_factor_in_an_interaction(ordered):
    fit = slmm.lmer("y ~ dose * Type + (1 | g)", ordered, contrasts={"dose": "contr.helmert"})
    two, three = fit.anova(type=2), fit.anova(type=3)
    assert two["F value"].tolist() == pytest.approx([10.684469565, 55.392468596, 1.421611675], rel=1e-6)
    assert three["F value"].tolist() == pytest.approx([11.016305474, 54.093095607, 1.421611675], rel=1e-6)
    assert three["DenDF"].tolist() == pytest.approx([199.9718937, 199.5347664, 200.2384151], rel=1e-6)


def test_ranova_with_weights_offset_subset_and_na_exclude(sleep):
    data = sleep.assign(Reaction=sleep["Reaction"].where(sleep.index % 11 != 3))
    fit = slmm.lmer("Reaction ~ Days + (1 | Subject)", data, weights="w", offset="off", subset="Days >= 1",
                    na_action="exclude")
    table = fit.ranova()
    assert table["logLik"].tolist() == pytest.approx([-752.1395140, -784.8625173], rel=1e-8)


def test_emmeans_of_a_fit_with_a_subset():
    data = ir.data("contrasts_sum")
    table = slmm.lmer("score ~ Machine + (1 | Worker)", data, subset="Worker != '1'").emmeans("Machine")
    assert table["emmean"].tolist() == pytest.approx([52.3, 59.80666667, 66.08666667], rel=1e-8)
    assert table["SE"].tolist() == pytest.approx([2.706790627] * 3, rel=1e-6)
    assert table["df"].tolist() == pytest.approx([4.635336036] * 3, rel=1e-6)


def test_type3_with_sum_contrasts_codes_no_grouping_factor(ordered, monkeypatch):
    """Mapping type III hypotheses to the fit's contrasts codes the fixed part's factors only: a grouping
    factor's treatment contrast would be a K x (K - 1) matrix (20 GB for 50,000 groups) that nothing reads."""
    from sparselmm.inference import contrasts as module

    coded = []
    original = module.contrast
    monkeypatch.setattr(module, "contrast", lambda spec, levels, key: coded.append(key) or original(spec, levels, key))
    fit = slmm.lmer("y ~ dose * x + (1 | g)", ordered, contrasts={"dose": "contr.sum"})
    fit.anova(type=3)
    assert coded == ["dose"]
