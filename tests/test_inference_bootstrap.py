"""The parametric bootstrap: the same seed gives the same replicates whatever n_jobs, the default uses every
core, the percentile interval is boot's, and on a well-identified model (sleepstudy's fixed effects and sigma)
the percentile intervals agree with the profile intervals within their Monte Carlo error."""

import joblib
import numpy as np
import pytest
from scipy import stats

import inference_reference as ir
from sparselmm import SparseLMMError
from sparselmm.inference.bootstrap import percentile_interval


def test_same_seed_same_replicates_whatever_n_jobs_and_every_core_by_default():
    fit = ir.fit("sleepstudy")
    everywhere = fit.bootstrap(20, seed=42, progress=False)
    alone = fit.bootstrap(20, seed=42, n_jobs=1, progress=False)
    assert everywhere.n_jobs == joblib.cpu_count() and alone.n_jobs == 1
    np.testing.assert_allclose(everywhere.t.to_numpy(), alone.t.to_numpy(), rtol=1e-9)
    other = fit.bootstrap(20, seed=43, n_jobs=1, progress=False)
    assert not np.allclose(other.t.to_numpy(), alone.t.to_numpy())
    assert list(alone.t.columns) == [".sig01", ".sig02", ".sig03", ".sigma", "(Intercept)", "Days"]
    assert alone.failures == 0


def test_a_statistic_of_ones_own():
    fit = ir.fit("pastes")
    result = fit.bootstrap(6, func=lambda f: f.fixef, seed=1, n_jobs=1, progress=False)
    assert list(result.t.columns) == ["(Intercept)"] and result.t0.iloc[0] == pytest.approx(fit.fixef.iloc[0])


def test_percentile_interval_is_boots_norm_inter():
    """R: boot:::norm.inter((1:40)^2 / 7, c(0.025, 0.975)) = 0.157258023434835, 228.192205382882690."""
    low, high = percentile_interval(np.arange(1, 41) ** 2 / 7, 0.95)
    assert low == pytest.approx(0.157258023434835, rel=1e-12)
    assert high == pytest.approx(228.192205382882690, rel=1e-12)


NSIM = 400


def test_percentile_intervals_agree_with_profile_intervals_within_monte_carlo_error():
    """The Monte Carlo standard error of a bootstrap 2.5% quantile is sqrt(p (1 - p) / nsim) / phi(z_p) times the
    statistic's sd: 0.134 sd at nsim = 400. Each end must be within 4 of them of the profile interval's end
    (fixed effects and sigma, which are well identified; the sds are skewed and the profile is ML-based)."""
    fit = ir.fit("sleepstudy")
    boot = fit.bootstrap(NSIM, seed=2024, progress=False)
    intervals = boot.confint()
    rows = [".sigma", "(Intercept)", "Days"]
    profile = fit.confint(parm=rows)
    mc_error = np.sqrt(0.025 * 0.975 / NSIM) / stats.norm.pdf(stats.norm.ppf(0.025)) * boot.t[rows].std()
    difference = (intervals.loc[rows] - profile).abs()
    assert (difference.max(axis=1) <= 4 * mc_error).all(), (difference, mc_error)


def test_confint_boot_gives_the_percentile_intervals():
    fit = ir.fit("pastes")
    table = fit.confint(method="boot", nsim=12, seed=5, n_jobs=1, level=0.9)
    assert list(table.columns) == ["5 %", "95 %"] and list(table.index) == [".sig01", ".sig02", ".sigma",
                                                                           "(Intercept)"]


def test_nsim_must_be_a_positive_count():
    with pytest.raises(SparseLMMError, match="nsim must be a positive whole number"):
        ir.fit("pastes").bootstrap(0)
