"""Pictures of a fit: each is a matplotlib Figure, renders to PNG headlessly, and draws lme4's numbers.

Plotted values are read back from the figures' artists and compared with the
lme4 reference files (BLUPs, conditional sds, fitted values, residuals) and,
for the normal quantiles, with Python's own ``statistics.NormalDist``.
"""

import sys
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

import reference  # noqa: E402
import sparselmm as slmm  # noqa: E402
from sparselmm import DataError, plots  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fit_case(case_id):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spec, slmm.lmer(spec["formula"], reference.data(case_id), REML=spec["REML"])


@pytest.fixture(scope="module")
def sleepstudy():
    return fit_case("sleepstudy_reml")


@pytest.fixture(scope="module")
def penicillin():
    return fit_case("penicillin_reml")


def assert_renders(figure, tmp_path, name="plot.png"):
    assert isinstance(figure, Figure)
    path = tmp_path / name
    figure.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC


def titles(figure):
    return [ax.get_title() for ax in figure.axes]


def one_panel_points(figure, title, tmp_path):
    """The figure renders, has the one panel ``title``, and its (x, y) points, shape (n, 2)."""
    assert_renders(figure, tmp_path)
    assert titles(figure) == [title]
    return points(figure.axes[0])


def points(ax):
    """The (x, y) of a panel's first scatter or errorbar points, shape (n, 2)."""
    if ax.collections and hasattr(ax.collections[0], "get_offsets") and not ax.containers:
        return np.asarray(ax.collections[0].get_offsets())
    line = ax.containers[0].lines[0]
    return np.column_stack([line.get_xdata(), line.get_ydata()])


def lme4_ranef(spec, group, term):
    long = pd.DataFrame(spec["ranef_long"])
    return long[(long["grpvar"] == group) & (long["term"] == term)]


# ------------------------------------------------------------------ caterpillar


def test_caterpillar_has_one_panel_per_term_and_one_point_per_level(sleepstudy, tmp_path):
    spec, fit = sleepstudy
    figure = fit.plot_caterpillar()
    assert_renders(figure, tmp_path)
    assert titles(figure) == ["Subject: (Intercept)", "Subject: Days"]
    for ax in figure.axes:
        assert len(points(ax)) == 18


def test_caterpillar_draws_lme4s_blups_sorted_with_their_intervals(sleepstudy):
    spec, fit = sleepstudy
    figure = fit.plot_caterpillar(z=1.96)
    for ax, term in zip(figure.axes, ["(Intercept)", "Days"]):
        expected = lme4_ranef(spec, "Subject", term).sort_values("condval")
        xy = points(ax)
        np.testing.assert_allclose(xy[:, 0], expected["condval"], rtol=0, atol=1e-4 * expected["condval"].abs().max())
        assert np.all(np.diff(xy[:, 0]) >= 0)  # sorted by value
        segments = np.array(ax.containers[0].lines[2][0].get_segments())  # (levels, 2 ends, xy)
        half = (segments[:, 1, 0] - segments[:, 0, 0]) / 2
        np.testing.assert_allclose(half, 1.96 * expected["condsd"].to_numpy(), rtol=1e-5)
        assert [t.get_text() for t in ax.get_yticklabels()] == expected["grp"].tolist()


def test_caterpillar_of_crossed_factors_and_one_group(penicillin, tmp_path):
    spec, fit = penicillin
    figure = fit.plot_caterpillar()
    assert titles(figure) == ["plate: (Intercept)", "sample: (Intercept)"]
    assert [len(points(ax)) for ax in figure.axes] == [24, 6]
    only = fit.plot_caterpillar(group="sample")
    assert titles(only) == ["sample: (Intercept)"]
    assert_renders(only, tmp_path)


def test_caterpillar_of_an_unknown_group_names_it(penicillin):
    with pytest.raises(DataError, match="no grouping factor 'batch'.*plate, sample"):
        penicillin[1].plot_caterpillar(group="batch")


# ------------------------------------------------------------------ residuals


def test_residuals_against_fitted_are_lme4s(sleepstudy, tmp_path):
    spec, fit = sleepstudy
    xy = one_panel_points(fit.plot_residuals(), "Residuals vs fitted", tmp_path)
    assert xy.shape == (fit.nobs, 2)
    used = np.array(spec["fitted_index"]) - 1
    np.testing.assert_allclose(xy[used, 0], spec["fitted"], rtol=1e-4)
    np.testing.assert_allclose(xy[used, 1], spec["residuals"], rtol=0, atol=1e-4 * np.abs(spec["residuals"]).max())


# ------------------------------------------------------------------ QQ plots


@pytest.mark.parametrize("n", [1, 5, 10, 11, 180])
def test_normal_quantiles_are_rs_qqnorm(n):
    a = 3 / 8 if n <= 10 else 1 / 2
    expected = [NormalDist().inv_cdf((i - a) / (n + 1 - 2 * a)) for i in range(1, n + 1)]
    values = np.random.default_rng(n).normal(size=n)
    theoretical, sample = plots.normal_quantiles(values)
    np.testing.assert_allclose(theoretical, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(sample, np.sort(values))


def test_qq_plot_of_residuals(sleepstudy, tmp_path):
    spec, fit = sleepstudy
    figure = fit.plot_qq()
    xy = one_panel_points(figure, "Normal QQ plot of residuals", tmp_path)
    assert xy.shape == (180, 2)
    np.testing.assert_allclose(np.sort(xy[:, 1]), np.sort(spec["residuals"]), rtol=0, atol=1e-3)
    assert np.all(np.diff(xy[:, 0]) > 0) and np.all(np.diff(xy[:, 1]) >= 0)
    line = figure.axes[0].lines[0]  # R's qqline: through the quartiles
    x, y = line.get_xdata(), line.get_ydata()
    slope = (y[1] - y[0]) / (x[1] - x[0])
    q1, q3 = np.quantile(fit.residuals, [0.25, 0.75])
    assert slope == pytest.approx((q3 - q1) / (NormalDist().inv_cdf(0.75) - NormalDist().inv_cdf(0.25)))


def test_qq_plot_of_blups_per_grouping_factor_and_term(penicillin, sleepstudy, tmp_path):
    spec, fit = penicillin
    figure = fit.plot_qq_ranef()
    assert_renders(figure, tmp_path)
    assert titles(figure) == ["Normal QQ plot of plate: (Intercept)", "Normal QQ plot of sample: (Intercept)"]
    for ax, group in zip(figure.axes, ["plate", "sample"]):
        expected = np.sort(lme4_ranef(spec, group, "(Intercept)")["condval"])
        np.testing.assert_allclose(points(ax)[:, 1], expected, rtol=0, atol=1e-4 * np.abs(expected).max())
    assert len(sleepstudy[1].plot_qq_ranef(group="Subject").axes) == 2


# ------------------------------------------------------------------ fit log


def test_fit_log_shows_every_evaluation_and_the_optimum(sleepstudy, tmp_path):
    spec, fit = sleepstudy
    figure = fit.plot_fit_log()
    assert_renders(figure, tmp_path)
    assert titles(figure) == ["Objective per evaluation"]
    ax = figure.axes[0]
    assert ax.get_ylabel() == "REML criterion"
    path, best = ax.lines[0], ax.lines[1]
    np.testing.assert_array_equal(path.get_ydata(), fit.fit_log["objective"])
    np.testing.assert_array_equal(path.get_xdata(), np.arange(1, len(fit.fit_log) + 1))
    assert best.get_ydata()[0] == pytest.approx(spec["objective"], rel=1e-8)


# ------------------------------------------------------------------ without matplotlib


def test_missing_matplotlib_says_how_to_install_it(sleepstudy, monkeypatch):
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r"pip install sparselmm\[plot\]"):
        sleepstudy[1].plot_residuals()
