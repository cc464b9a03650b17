"""lme4's profile intervals (within 1% of the interval's width of lme4's: lme4 interpolates its profile with a
spline, we find zeta's crossings directly), Wald intervals (1e-6), the profile's zeta at lme4's own profile points,
and the argument errors, on every reference case."""

import numpy as np
import pytest

import inference_reference as ir
from sparselmm import SparseLMMError
from sparselmm.inference.profile import ProfiledDeviance, interval_columns, sv_to_theta, theta_to_sv

FULL = ir.CASES  # every case, every parameter: about 4 s in all
PARTLY = {"ham": [".sig02", "Product2"], "crossed": [".sig02", "condB"]}  # confint(parm=) picks rows


def assert_intervals(ours, theirs, what):
    """Each end within 1% of the interval's width of lme4's (the ends of the singular .sig01: 0 both)."""
    assert list(ours.columns) == list(theirs.columns)
    width = (theirs.iloc[:, 1] - theirs.iloc[:, 0]).to_numpy()
    error = np.abs(ours.to_numpy() - theirs.to_numpy()) / width[:, None]
    assert np.all(error <= 0.01), f"{what}: {error.max():.3g} of the width"


@pytest.mark.parametrize("case", FULL)
def test_profile_intervals_are_lme4s(case):
    theirs = ir.table(ir.spec(case)["confint"]["profile_95"])
    ours = ir.fit(case).confint()
    assert list(ours.index) == list(theirs.index)
    assert_intervals(ours, theirs, case)


@pytest.mark.parametrize("case", sorted(PARTLY))
def test_profile_intervals_of_some_parameters(case):
    theirs = ir.table(ir.spec(case)["confint"]["profile_95"]).loc[PARTLY[case]]
    assert_intervals(ir.fit(case).confint(parm=PARTLY[case]), theirs, case)


def test_the_90_percent_interval():
    theirs = ir.table(ir.spec("sleepstudy")["confint"]["profile_90"])
    assert_intervals(ir.fit("sleepstudy").confint(level=0.90), theirs, "sleepstudy 90%")


WALD = [(case, level) for case in ir.CASES for level in (0.95, 0.90)
        if f"wald_{round(level * 100)}" in ir.spec(case)["confint"]]  # 90%: sleepstudy only


@pytest.mark.parametrize("case, level", WALD)
def test_wald_intervals_are_lme4s(case, level):
    key = f"wald_{round(level * 100)}"
    theirs = ir.table(ir.spec(case)["confint"][key])
    ours = ir.fit(case).confint(method="Wald", level=level)
    assert list(ours.index) == list(theirs.index) and list(ours.columns) == list(theirs.columns)
    assert ours.iloc[: len(ours) - len(ir.fit(case).fixef)].isna().all().all()
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("case, every", [("sleepstudy", 1), ("penicillin", 4)])
def test_zeta_at_lme4s_profile_points(case, every):
    """lme4's profile rows are exact evaluations (.focal, .zeta): our zeta there agrees to 2e-3 (lme4's inner
    optimisations stop at its tolerance; ours at 1e-9 on the deviance)."""
    theirs = ir.table(ir.spec(case)["profile"]).iloc[::every]
    deviance = ProfiledDeviance(ir.fit(case))
    ours = [deviance.zeta(deviance.names.index(p), x)[0] for p, x in zip(theirs[".par"], theirs[".focal"])]
    np.testing.assert_allclose(ours, theirs[".zeta"], atol=2e-3)


def test_profile_table_and_its_plot():
    pytest.importorskip("matplotlib")
    table = ir.fit("cake_temp").profile(which=[".sigma", "temp"], n_points=5)
    assert list(table.columns) == ["parameter", "value", "zeta"]
    for name, part in table.groupby("parameter"):
        assert part["zeta"].min() == pytest.approx(-2.5758, abs=1e-3) and np.all(np.diff(part["zeta"]) > 0), name
    figure = table.plot()
    assert len(figure.axes) == 2


def test_sds_and_correlations_map_to_theta_and_back():
    fit = ir.fit("sleepstudy")
    sv = theta_to_sv(fit.model.covariance, fit.theta, fit.sigma)
    assert sv[1] == pytest.approx(float(fit.varcorr.sdcor[2]), rel=1e-12)  # the correlation
    np.testing.assert_allclose(sv_to_theta(fit.model.covariance, sv), fit.theta, rtol=1e-12)


def test_interval_columns_are_named_as_r_names_them():
    assert interval_columns(0.95) == ["2.5 %", "97.5 %"]
    assert interval_columns(0.9) == ["5 %", "95 %"]
    assert interval_columns(0.99) == ["0.5 %", "99.5 %"]


@pytest.mark.parametrize("call, message", [
    (lambda f: f.confint(level=1.5), r"level=1.5 must be a confidence level between 0 and 1"),
    (lambda f: f.confint(method="bayes"), r"method='bayes' is not an interval method; use 'profile', 'Wald'"),
    (lambda f: f.confint(parm="slope", method="Wald"), r"unknown parameter\(s\) slope; the parameters are .sig01"),
    (lambda f: f.profile(which="slope"), r"unknown parameter\(s\) slope"),
    (lambda f: f.profile(alpha_max=2), r"alpha_max=2 must lie between 0 and 1"),
])
def test_bad_arguments_name_the_fix(call, message):
    with pytest.raises(SparseLMMError, match=message):
        call(ir.fit("sleepstudy"))
