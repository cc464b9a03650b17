"""pbkrtest's Kenward-Roger quantities through A^-1 (no n x n matrix): vcovAdj, W, condi and KRmodcomp's
F tests, against pbkrtest in every reference case; and the size limit's message."""

import numpy as np
import pytest

import inference_reference as ir
from sparselmm import SparseLMMError
from sparselmm.inference import kenward_roger
from sparselmm.inference.kenward_roger import kr_adjust


@pytest.mark.parametrize("case", ir.CASES)
def test_vcov_adjusted_is_pbkrtests(case):
    internals = ir.spec(case)["kenward_roger_internals"]
    ours = ir.fit(case)._vcov_adjusted()
    assert ours.names == internals["ggamma_names"]
    np.testing.assert_allclose(ours.ggamma, internals["ggamma"], rtol=1e-5)
    for mine, theirs in ((ours.vcov_adj, internals["vcovAdj"]), (ours.W, internals["W"])):
        expected = ir.table(theirs).to_numpy()
        assert np.abs(mine - expected).max() <= 1e-6 * np.abs(expected).max()
    assert ours.condi == pytest.approx(internals["condi"], rel=1e-6)


@pytest.mark.parametrize("case", ir.CASES)
@pytest.mark.parametrize("which", ["all", "last"])
def test_krmodcomp_is_pbkrtests(case, which):
    block = ir.spec(case)["kenward_roger_internals"]["KRmodcomp"][which]
    fit = ir.fit(case)
    test = kr_adjust(fit._vcov_adjusted(), ir.table(block["L"]).to_numpy(), fit.solution.beta)
    expected = ir.table(block["test"])
    assert test.F == pytest.approx(expected.loc["Ftest", "stat"], rel=1e-6)
    assert test.F_unscaled == pytest.approx(expected.loc["FtestU", "stat"], rel=1e-6)
    assert test.numdf == expected.loc["Ftest", "ndf"]
    assert test.dendf == pytest.approx(expected.loc["Ftest", "ddf"], rel=1e-6)
    assert test.p_value == pytest.approx(expected.loc["Ftest", "p.value"], rel=1e-5)
    for name, value in block["aux"].items():
        assert test.aux[name] == pytest.approx(value, rel=1e-5, abs=1e-12), name


SCALAR = [c for c in ir.CASES if all(t.k == 1 for t in ir.fit(c).model.covariance.terms)]


@pytest.mark.parametrize("case", SCALAR)
def test_the_dense_route_is_pbkrtests_too_for_scalar_terms(case, monkeypatch):
    """Scalar-term models take kr_blocked's route by default (tested above); the dense one, forced here, agrees."""
    monkeypatch.setattr(kenward_roger, "SCALAR_ROUTE", False)
    internals = ir.spec(case)["kenward_roger_internals"]
    fit = ir.fit(case)
    adjusted = kenward_roger.vcov_adjusted(fit)
    assert type(kenward_roger._products(fit)).__name__ == "DenseProducts"
    for mine, theirs in ((adjusted.vcov_adj, internals["vcovAdj"]), (adjusted.W, internals["W"])):
        expected = ir.table(theirs).to_numpy()
        assert np.abs(mine - expected).max() <= 1e-6 * np.abs(expected).max()


def test_too_many_random_effects_is_refused_with_the_way_out(monkeypatch):
    monkeypatch.setattr(kenward_roger, "MAX_RANDOM_EFFECTS", 10)
    fit = ir.quiet_lmer(ir.spec("sleepstudy")["formula"], ir.data("sleepstudy"))
    with pytest.raises(SparseLMMError, match=r"up to 10 random effects, and this model has 36 .*ddf='Satterthwaite'"):
        fit.coef_table("Kenward-Roger")
    crossed = ir.quiet_lmer(ir.spec("crossed")["formula"], ir.data("crossed"))
    with pytest.raises(SparseLMMError, match=r"its 20 random effects after the first term are held dense, up to 10"):
        crossed.anova(ddf="Kenward-Roger")


def test_kenward_roger_needs_reml():
    fit = ir.quiet_lmer(ir.spec("sleepstudy")["formula"], ir.data("sleepstudy"), REML=False)
    with pytest.raises(SparseLMMError, match="only available for REML fits: refit with REML=True"):
        fit.anova(ddf="Kenward-Roger")


def test_each_model_takes_its_route():
    assert type(kenward_roger._products(ir.fit("crossed"))).__name__ == "BlockedProducts"
    assert type(kenward_roger._products(ir.fit("sleepstudy"))).__name__ == "DenseProducts"  # a vector term
