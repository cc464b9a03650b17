"""Links and families as lme4's glmFamily.cpp evaluates them: the clamps, variances, deviance residuals, aic()."""

import numpy as np
import pytest
from scipy import stats

import glmer_reference as ref
from sparselmm.errors import FormulaError
from sparselmm.glmm import families, links
from sparselmm.glmm.families import make_family

EPS = np.finfo(float).eps
ETA = np.array([-40.0, -3.0, -0.5, 0.0, 0.7, 2.0, 40.0])


@pytest.mark.parametrize("name, inverse, derivative", [
    ("logit", stats.logistic.cdf, stats.logistic.pdf),
    ("probit", stats.norm.cdf, stats.norm.pdf),
    ("cloglog", lambda e: 1 - np.exp(-np.exp(e)), lambda e: np.exp(e - np.exp(e))),
    ("cauchit", stats.cauchy.cdf, stats.cauchy.pdf),
    ("log", np.exp, np.exp),
])
def test_links_are_r_links_within_lme4s_clamps(name, inverse, derivative):
    link = links.make_link(name)
    middle = np.abs(ETA) < 10
    np.testing.assert_allclose(link.linkinv(ETA[middle]), inverse(ETA[middle]), rtol=1e-13)
    np.testing.assert_allclose(link.mu_eta(ETA[middle]), derivative(ETA[middle]), rtol=1e-12)
    np.testing.assert_allclose(link.linkfun(link.linkinv(ETA[middle])), ETA[middle], rtol=1e-9, atol=1e-12)


def test_lme4s_clamps():
    """logit and cloglog clamp mu to [eps, 1 - eps] and dmu/deta at eps; probit only below 1 - eps; log at eps."""
    logit, probit, cloglog, log = (links.make_link(n) for n in ("logit", "probit", "cloglog", "log"))
    assert logit.linkinv(np.array([-800.0]))[0] == EPS and logit.linkinv(np.array([800.0]))[0] == 1 - EPS
    assert logit.mu_eta(np.array([-800.0]))[0] == EPS
    assert probit.linkinv(np.array([40.0]))[0] == 1 - EPS and probit.linkinv(np.array([-40.0]))[0] < EPS
    assert cloglog.linkinv(np.array([-800.0]))[0] == EPS and cloglog.mu_eta(np.array([800.0]))[0] == EPS
    assert log.linkinv(np.array([-800.0]))[0] == EPS


def test_inverse_square_is_nan_where_r_is():
    link = links.make_link("1/mu^2")
    assert np.isnan(link.linkinv(np.array([-1.0]))[0])
    assert link.linkinv(np.array([0.25]))[0] == pytest.approx(2.0)
    assert link.mu_eta(np.array([0.25]))[0] == pytest.approx(-4.0)


@pytest.mark.parametrize("family, link", [("binomial", "logit"), ("poisson", "log"), ("Gamma", "inverse"),
                                          ("inverse.gaussian", "1/mu^2"), ("gamma", "inverse"),
                                          ("inverse_gaussian", "1/mu^2")])
def test_default_links(family, link):
    assert make_family(family).link.name == link


def test_family_objects_and_links():
    assert make_family(families.binomial("probit")) == families.Binomial("probit")
    assert make_family("binomial", "cloglog").link.name == "cloglog"
    assert make_family(families.gamma(), "log") == families.Gamma("log")
    assert make_family(families.Poisson).link.name == "log"
    with pytest.raises(FormulaError, match=r"the link 'probit' is not available for the poisson family; use one of"):
        make_family("poisson", "probit")
    with pytest.raises(FormulaError, match=r"unknown link 'logist'; the links are"):
        make_family("binomial", "logist")
    with pytest.raises(FormulaError, match=r"family must be a name such as 'binomial' or a family object, not int"):
        make_family(3)


def test_variances():
    mu = np.array([0.2, 0.5, 1.5])
    np.testing.assert_allclose(families.Binomial().variance(mu[:2]), [0.16, 0.25])
    assert families.Binomial().variance(np.array([1.0]))[0] == EPS
    np.testing.assert_allclose(families.Poisson().variance(mu), mu)
    np.testing.assert_allclose(families.Gamma().variance(mu), mu**2)
    np.testing.assert_allclose(families.InverseGaussian().variance(mu), mu**3)


@pytest.mark.parametrize("case_id", ["cbpp_logit_agq1", "binary_numeric", "poisson_offset_formula", "gamma_log",
                                     "inverse_gaussian_log", "verbagg"])
def test_deviance_residuals_and_aic_at_lme4s_means(case_id):
    """At lme4's fitted means (all rows where the JSON has them all), sum(dev residuals) is lme4's drsum and the
    family's aic() its resp_aic."""
    spec, fit = ref.case(case_id), ref.fit(case_id)
    rows = np.array(spec["row_index"]) - 1
    mu = np.array(spec["fitted"])
    dev = fit.family.dev_resids(fit.y[rows], mu, fit.weights[rows])
    expected = np.array(spec["residuals"]["deviance"]) ** 2
    np.testing.assert_allclose(dev, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.model.dev_resids(fit.fitted)[rows], fit.state.dev_resid[rows])
    if len(rows) == fit.nobs:
        aic = fit.family.aic(fit.y, fit.model.trials, mu, fit.weights, float(dev.sum()))
        assert aic == pytest.approx(spec["resp_aic"], rel=1e-10)
        assert float(dev.sum()) == pytest.approx(spec["devcomp_cmp"]["drsum"], rel=1e-10)


def test_binary_deviance_residuals_fast_path_is_the_formula():
    y, wt = np.array([0.0, 1.0, 1.0, 0.0]), np.array([1.0, 2.0, 1.0, 3.0])
    mu = np.array([0.1, 0.7, 0.999, 0.5])
    family = families.Binomial()
    np.testing.assert_allclose(family.dev_resids_function(y, wt)(mu), family.dev_resids(y, mu, wt), rtol=1e-12)


def test_binomial_aic_uses_trials_or_weights():
    """lme4's binomialDist::aic: m = n when any n > 1 (cbind), else the weights (proportions); equal here."""
    family, mu = families.Binomial(), np.array([0.3, 0.6])
    y, n = np.array([2 / 5, 1 / 3]), np.array([5.0, 3.0])
    expected = -2 * np.sum(stats.binom.logpmf([2, 1], [5, 3], mu))
    assert family.aic(y, n, mu, n, 0.0) == pytest.approx(expected, rel=1e-13)
    assert family.aic(y, np.ones(2), mu, n, 0.0) == pytest.approx(expected, rel=1e-13)


def test_dispersion_families_aic():
    y, mu, wt = np.array([0.5, 2.0, 3.5]), np.array([1.0, 2.5, 3.0]), np.ones(3)
    gamma = families.Gamma("log")
    dev = float(gamma.dev_resids(y, mu, wt).sum())
    disp = dev / 3
    expected = -2 * np.sum(stats.gamma.logpdf(y, 1 / disp, scale=mu * disp)) + 2
    assert gamma.aic(y, np.ones(3), mu, wt, dev) == pytest.approx(expected, rel=1e-12)
    ig = families.InverseGaussian("log")
    dev = float(ig.dev_resids(y, mu, wt).sum())
    expected = 3 * (np.log(dev / 3 * 2 * np.pi) + 1) + 3 * np.sum(np.log(y)) + 2
    assert ig.aic(y, np.ones(3), mu, wt, dev) == pytest.approx(expected, rel=1e-12)


def test_starting_values_are_rs_initialize():
    y, w = np.array([0.0, 0.5, 1.0]), np.array([1.0, 4.0, 2.0])
    np.testing.assert_allclose(families.Binomial().start(y, w), (w * y + 0.5) / (w + 1))
    np.testing.assert_allclose(families.Poisson().start(np.array([0.0, 3.0]), np.ones(2)), [0.1, 3.1])
    np.testing.assert_allclose(families.Gamma().start(np.array([2.0]), np.ones(1)), [2.0])
