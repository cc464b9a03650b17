"""The Dask fit equals the in-memory fit (itself checked against lme4 in test_reference_fits.py).

A LocalCluster of two worker processes (one thread each, small memory limits) is
started once for the module and closed at its end; the cases are split into
partitions of uneven sizes, some lacking levels, one empty. The reference is the
in-memory fit on the same rows: the criterion at the same theta and the fitted
objective to 1e-10 relative; theta and beta at the optimum to 1e-8 (both fits
polished by Newton steps with the exact gradient, since two runs of BOBYQA with
lme4's tolerances stop 1e-5 apart as soon as rounding sends them along different
paths); row-level results to those of the in-memory model at the Dask fit's theta.
"""

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import reference

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import sparselmm as slmm  # noqa: E402
from sparselmm import DataError, LinearMixedModel, convergence  # noqa: E402

pytestmark = pytest.mark.dask
INTERFACE = reference.ROOT / "tests" / "data" / "interface"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GiB",
                                       dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def load(case_id):
    """(formula, REML, data, lmer's keyword arguments) of a reference case or an interface (weights) case."""
    if case_id.startswith("weights"):
        spec = json.loads((INTERFACE / f"{case_id}.json").read_text())
        types = spec["column_types"]
        data = pd.read_csv(INTERFACE / spec["data"], dtype={c: str for c, k in types.items() if k == "factor"})
        return spec["formula"], spec["REML"], data, {"weights": "w"}
    spec = reference.load_case(case_id)
    return spec["formula"], spec["REML"], reference.data(case_id), {}


def pieces(data):
    """Uneven partitions in the data's order (so that some lack levels), one of them empty."""
    n = len(data)
    cuts = [0, n // 9, n // 9, n // 3, n // 2 + 7, n - 3, n]
    return [data.iloc[a:b] for a, b in zip(cuts, cuts[1:])]


def as_dask(parts, meta=None):
    meta = parts[0].iloc[:0] if meta is None else meta
    return dd.from_map(lambda i: parts[i], range(len(parts)), meta=meta)


def fitted_both(case_id, **options):
    formula, REML, data, arguments = load(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", slmm.SingularFitWarning)
        whole = slmm.lmer(formula, data, REML=REML, **arguments, **options)
        spread = slmm.lmer(formula, as_dask(pieces(data)), REML=REML, **arguments, **options)
    return whole, spread, data


def optimum(fit, steps=3):
    """theta polished by projected Newton steps with the exact gradient and its finite-difference Hessian."""
    criterion = fit.model.criterion(fit.REML)
    lower = fit.model.covariance.lower
    gradient_at = lambda x: criterion.value_and_gradient(x)[1]  # noqa: E731
    theta = fit.theta.copy()
    for _ in range(steps):
        gradient = gradient_at(theta)
        hessian = convergence.hessian_of(gradient_at, theta, gradient)
        theta = np.maximum(theta + convergence.newton_direction(gradient, hessian, theta, lower), lower)
    return theta


CASES = ["sleepstudy_reml", "penicillin_reml", "pastes_reml", "crossed_slopes_reml", "weights_reml"]


@pytest.fixture(scope="module", params=CASES)
def case(request, client):
    return (request.param, *fitted_both(request.param))


def test_the_partitions_are_uneven_one_empty_some_lacking_levels(case):
    case_id, whole, _, data = case
    parts = pieces(data)
    assert len({len(p) for p in parts}) >= 4 and min(len(p) for p in parts) == 0
    group = whole.design.terms[0].source.group_name.split(":")[0]
    assert any(0 < p[group].nunique() < data[group].nunique() for p in parts)


def test_the_dask_fit_is_the_in_memory_fit(case):
    case_id, whole, spread, _ = case
    assert spread.nobs == whole.nobs and spread.ngroups == whole.ngroups
    assert spread.design.fixef_names == whole.design.fixef_names
    assert [t.levels for t in spread.design.terms] == [t.levels for t in whole.design.terms]
    assert spread.objective == pytest.approx(whole.objective, rel=1e-10)
    at = spread.model.solve(whole.theta, whole.REML)  # the criterion itself, at the same theta
    assert at.objective(whole.REML) == pytest.approx(whole.objective, rel=1e-10)
    np.testing.assert_allclose(at.beta, whole.fixef, rtol=1e-10)
    np.testing.assert_allclose(spread.theta, whole.theta, rtol=1e-4, atol=1e-5)  # lme4's stopping tolerance


def test_theta_and_beta_at_the_optimum_agree_to_1e_8(case):
    case_id, whole, spread, _ = case
    a, b = optimum(spread), optimum(whole)
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8 * np.max(np.abs(b)))
    beta_a, beta_b = spread.model.solve(a, spread.REML).beta, whole.model.solve(b, whole.REML).beta
    np.testing.assert_allclose(beta_a, beta_b, rtol=1e-8)


def test_post_fit_quantities_from_the_factor_are_the_in_memory_ones(case):
    case_id, whole, spread, _ = case
    same = whole.model.at(spread.theta, REML=spread.REML)  # in memory, at the Dask fit's theta
    np.testing.assert_allclose(spread.vcov, same.vcov, rtol=1e-9)
    assert spread.hat_trace() == pytest.approx(same.hat_trace(), rel=1e-9)
    for group, table in spread.ranef.items():
        np.testing.assert_allclose(table, same.ranef[group], rtol=1e-8, atol=1e-10 * np.abs(table).max().max())
    assert str(spread.summary()).split("Scaled residuals:")[1] == str(same.summary()).split("Scaled residuals:")[1]


@pytest.mark.parametrize("samples", [2, 5, 4096])
def test_the_summarys_residual_quantiles_are_exact_from_any_sketch(samples):
    """Order statistics bracketed from a sketch of 2, 5 or 4096 values per partition, then read exactly."""
    formula, REML, data, _ = load("penicillin_reml")  # diameters are integers: tied residuals
    with dask.config.set(scheduler="sync"):
        spread = slmm.lmer(formula, as_dask(pieces(data)), REML=REML)
        quantiles = spread.design.dask_rows(spread).scaled_residual_quantiles(samples=samples)
    same = LinearMixedModel.from_formula(formula, data).at(spread.theta, REML=REML)
    expected = np.quantile(same.residuals / same.sigma, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(quantiles, expected, rtol=1e-12, atol=1e-12)


def test_row_level_results_are_dask_series_on_the_partitions(case):
    case_id, whole, spread, data = case
    same = whole.model.at(spread.theta, REML=spread.REML)
    ddf = spread.design.data
    for name, lazy, expected in [("fitted", spread.fitted, same.fitted), ("residuals", spread.residuals,
                                                                            same.residuals),
                                 ("hatvalues", spread.hatvalues(), same.hatvalues())]:
        assert isinstance(lazy, dd.Series) and lazy.npartitions == ddf.npartitions, name
        values = lazy.compute()
        np.testing.assert_array_equal(values.index, data.index[same.rows])
        np.testing.assert_allclose(values.to_numpy(), expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max(),
                                   err_msg=name)
    assert spread.hatvalues().sum().compute() == pytest.approx(spread.hat_trace(), rel=1e-9)


def test_predict_on_a_dask_dataframe(client):
    whole, spread, data = fitted_both("sleepstudy_reml")
    newdata = data.assign(Days=data["Days"] + 0.5, Subject=data["Subject"].where(data.index % 17 != 3, "999"))
    newdata.loc[5, "Days"] = np.nan
    lazy = spread.predict(as_dask(pieces(newdata)), allow_new_levels=True)
    assert isinstance(lazy, dd.Series)
    np.testing.assert_allclose(lazy.compute().to_numpy(), spread.predict(newdata, allow_new_levels=True),
                               rtol=1e-12, equal_nan=True)
    population = spread.predict(as_dask(pieces(newdata)), re_form="~0").compute()
    np.testing.assert_allclose(population.to_numpy(), spread.predict(newdata, re_form="~0"), rtol=1e-12,
                               equal_nan=True)
    with pytest.raises(DataError, match="new levels detected in newdata: 999 \\(new levels of 'Subject'"):
        spread.predict(as_dask(pieces(newdata))).compute()
    for re_form in ("~(0 + Days | Subject)", "~(1 | Subject)"):  # some of a term's columns, as in memory
        partial = spread.predict(as_dask(pieces(data)), re_form=re_form).compute()
        np.testing.assert_allclose(partial.to_numpy(), spread.predict(data, re_form=re_form), rtol=1e-12)
    # an in-memory fit predicts a Dask DataFrame the same way
    np.testing.assert_allclose(whole.predict(as_dask(pieces(data))).compute().to_numpy(), whole.fitted, rtol=1e-12)


def test_csv_and_parquet_partitions_read_by_dask(client, tmp_path):
    formula, REML, data, _ = load("penicillin_reml")
    for i, part in enumerate(pieces(data)):
        part.to_csv(tmp_path / f"part{i}.csv", index=False)
    from_csv = dd.read_csv(str(tmp_path / "part*.csv"), dtype={"plate": str, "sample": str})
    parquet = tmp_path / "parquet"
    dd.from_pandas(data, npartitions=4).to_parquet(str(parquet))
    whole = LinearMixedModel.from_formula(formula, data)
    theta = np.array([1.5, 3.5])
    for ddf in (from_csv, dd.read_parquet(str(parquet))):
        model = LinearMixedModel.from_dask(formula, ddf)
        assert model.objective(theta, REML) == pytest.approx(whole.objective(theta, REML), rel=1e-12)


def test_the_default_scheduler_gives_the_same_fit():
    formula, REML, data, arguments = load("weights_reml")
    whole = LinearMixedModel.from_formula(formula, data, **arguments)
    theta = np.array([0.8, -0.02, 0.2])
    with dask.config.set(scheduler="threads"):
        spread = LinearMixedModel.from_dask(formula, as_dask(pieces(data)), **arguments)
    assert spread.objective(theta, REML) == pytest.approx(whole.objective(theta, REML), rel=1e-12)


def test_offsets_in_the_formula_and_as_an_argument_with_weights():
    formula, REML, data, _ = load("weights_reml")
    formula = "Reaction ~ Days + offset(off) + offset(2 * off2) + (Days | Subject)"
    theta = np.array([0.8, -0.02, 0.2])
    for arguments in ({"weights": "w"}, {"weights": "w", "offset": "x"}, {"offset": "x"}):
        whole = LinearMixedModel.from_formula(formula, data, **arguments)
        with dask.config.set(scheduler="sync"):
            spread = LinearMixedModel.from_dask(formula, as_dask(pieces(data)), **arguments)
        assert spread.objective(theta, REML) == pytest.approx(whole.objective(theta, REML), rel=1e-12), arguments
        a, b = spread.at(theta, REML), whole.at(theta, REML)
        with dask.config.set(scheduler="sync"):
            np.testing.assert_allclose(a.fitted.compute().to_numpy(), b.fitted, rtol=1e-10)
            np.testing.assert_allclose(a.hatvalues().compute().to_numpy(), b.hatvalues(), rtol=1e-9)


def test_known_categories_need_no_levels_pass_and_unused_ones_are_dropped(monkeypatch):
    """Columns of known categories give the levels without a pass; categories no row uses are dropped, as lme4
    drops unused levels, even the first of a fixed-effects factor (whose columns then change)."""
    formula, REML, data, _ = load("two_factors_reml")
    declared = data.copy()
    for column in ["a", "b", "g", "h"]:
        values = sorted(declared[column].unique())
        extra = ["0 unused"] if column in ("a", "g") else []
        declared[column] = pd.Categorical(declared[column], categories=extra + values)
    from sparselmm.distributed import sums as module

    def no_pass(*args):
        raise AssertionError("a levels pass was made")

    monkeypatch.setattr(module, "_partition_levels", no_pass)
    with dask.config.set(scheduler="sync"):
        spread = LinearMixedModel.from_dask(formula, as_dask(pieces(declared)))
    whole = LinearMixedModel.from_formula(formula, data)
    assert spread.design.fixef_names == whole.design.fixef_names
    assert [t.levels for t in spread.design.terms] == [t.levels for t in whole.design.terms]
    theta = np.array([0.5, 0.1, 0.3, 0.7])
    assert spread.objective(theta, REML) == pytest.approx(whole.objective(theta, REML), rel=1e-12)


def test_an_interaction_grouping_factor_and_scale_are_learned_in_one_pass():
    for case_id in ["interaction_grouping_reml", "insteval_reml"]:
        formula, REML, data, _ = load(case_id)
        whole = LinearMixedModel.from_formula(formula, data)
        with dask.config.set(scheduler="sync"):
            spread = LinearMixedModel.from_dask(formula, as_dask(pieces(data)))
        theta = whole.start()
        assert spread.objective(theta, REML) == pytest.approx(whole.objective(theta, REML), rel=1e-12)
    data = reference.data("sleepstudy_reml")
    formula = "Reaction ~ scale(Days) + (1 | Subject)"
    with dask.config.set(scheduler="sync"):
        spread = LinearMixedModel.from_dask(formula, as_dask(pieces(data)))
    whole = LinearMixedModel.from_formula(formula, data)
    assert spread.objective([0.8], True) == pytest.approx(whole.objective([0.8], True), rel=1e-12)


# ---------------------------------------------------------------- errors, with what to do
def test_partitions_that_disagree_on_a_columns_type_are_named(client):
    _, _, data, _ = load("sleepstudy_reml")
    parts = pieces(data)
    parts[3] = parts[3].assign(Days=parts[3]["Days"].astype(str))
    with pytest.raises(DataError) as caught:
        slmm.lmer("Reaction ~ Days + (1 | Subject)", as_dask(parts))
    message = str(caught.value)
    assert "disagree on the type of column 'Days'" in message and "partition 3 holds text" in message
    assert "declares numbers (int64)" in message and "ddf.astype({'Days': float})" in message


def test_csv_files_read_with_different_types_are_a_data_error(client, tmp_path):
    _, _, data, _ = load("sleepstudy_reml")
    data.iloc[:90].to_csv(tmp_path / "a.csv", index=False)
    data.iloc[90:].assign(Subject="s" + data["Subject"].iloc[90:]).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataError) as caught:
        slmm.lmer("Reaction ~ Days + (1 | Subject)", dd.read_csv(str(tmp_path / "*.csv")))
    assert "disagree on the types of their columns" in str(caught.value)
    assert "dtype={'column': str}" in str(caught.value)


def test_known_categories_missing_a_level_of_one_partition_are_named(client):
    _, _, data, _ = load("sleepstudy_reml")
    parts = [p.assign(Subject=pd.Categorical(p["Subject"])) for p in pieces(data)]
    holders = {level: [i for i, p in enumerate(parts) if level in set(p["Subject"])] for level in data["Subject"]}
    level, (index,) = next((level, where) for level, where in holders.items() if len(where) == 1)
    declared = sorted(set(data["Subject"]) - {level})  # a level of one partition only, left out
    meta = data.iloc[:0].assign(Subject=pd.Categorical([], categories=declared))
    with pytest.raises(DataError) as caught:
        slmm.lmer("Reaction ~ Days + (1 | Subject)", as_dask(parts, meta))
    message = str(caught.value)
    assert f"partition {index} of the Dask DataFrame holds values of 'Subject' outside its declared categories " \
           f"({level})" in message
    assert "ddf.categorize(columns=['Subject'])" in message and "cat.as_unknown()" in message


@pytest.mark.parametrize("change, message", [
    (lambda d: d.iloc[:0], "holds no rows to fit"),
    (lambda d: d.assign(Reaction=np.nan), "holds no rows to fit"),
    (lambda d: d.rename(columns={"Days": "days"}), "unknown column 'Days' in the formula. Did you mean 'days'?"),
    (lambda d: d.assign(Reaction=d["Reaction"].astype(str)), "the response 'Reaction' is not numeric"),
])
def test_bad_dask_data_are_refused_as_in_memory(change, message):
    _, _, data, _ = load("sleepstudy_reml")
    changed = change(data)
    with dask.config.set(scheduler="sync"), pytest.raises(DataError) as caught:
        slmm.lmer("Reaction ~ Days + (1 | Subject)", as_dask(pieces(changed) if len(changed) else [changed]))
    assert message in str(caught.value)


def test_weights_of_a_dask_fit_name_a_column():
    _, _, data, _ = load("weights_reml")
    with pytest.raises(DataError, match="weights of a Dask fit must name a column"):
        LinearMixedModel.from_dask("Reaction ~ Days + (1 | Subject)", as_dask(pieces(data)),
                                   weights=data["w"].to_numpy())


def test_sparselmm_imports_and_fits_without_dask():
    script = (
        "import sys; sys.modules['dask'] = sys.modules['distributed'] = None\n"
        "import sparselmm, pandas as pd\n"
        "d = pd.DataFrame({'y': [1., 2, 4, 3, 5, 7, 6, 8], 'g': list('aabbccdd'), 'x': range(8)})\n"
        "print(sparselmm.lmer('y ~ x + (1 | g)', d).nobs)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=reference.ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "8"


# ---------------------------------------------------------------- the client holds sums, never the rows
def synthetic(n=400_000, partitions=4, seed=7):
    """y ~ x + f + (1 | g): text factors (so the levels pass runs too), in equal partitions."""
    rng = np.random.default_rng(seed)
    g, f = rng.integers(0, 50, n), rng.integers(0, 3, n)
    data = pd.DataFrame({"x": rng.standard_normal(n), "f": np.array(["a", "b", "c"])[f],
                         "g": np.array([f"g{i:02d}" for i in range(50)])[g]})
    data["y"] = 1 + 0.5 * data["x"] + 0.3 * f + rng.standard_normal(50)[g] + rng.standard_normal(n)
    step = n // partitions
    return data, [data.iloc[i:i + step] for i in range(0, n, step)]


def test_the_client_receives_sums_never_rows():
    """Every compute's result is pickled as it would travel to the client: the fit's (levels, sums) and the
    summary's (a sketch of 4,096 values per partition and the brackets) are a few per cent of the rows."""
    import pickle

    data, parts = synthetic()
    size = len(pickle.dumps(data, protocol=5))
    received = []

    def measuring(graph, keys, **options):
        out = dask.get(graph, keys, **options)
        received.append(len(pickle.dumps(out, protocol=5)))
        return out

    with dask.config.set(scheduler=measuring), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer("y ~ x + f + (1 | g)", as_dask(parts))
        assert len(received) == 3 and max(received) < 0.01 * size, (received, size)  # levels, first, the rest
        received.clear()
        str(fit.summary())
        assert received and max(received) < 0.05 * size, (received, size)
        received.clear()
        assert fit.hatvalues().sum().compute() == pytest.approx(fit.hat_trace(), rel=1e-9)
        assert max(received) < 1000


def test_what_needs_every_row_is_refused_on_a_dask_fit():
    """Type III tests with factors, emmeans, ranova, residual plots, influence and predictions with intervals
    would read every row into the client: refused, saying what works on the partitions."""
    _, parts = synthetic(n=4000)
    with dask.config.set(scheduler="sync"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = slmm.lmer("y ~ x + f + (1 | g)", as_dask(parts))
        assert list(fit.anova(type=1).index) == ["x", "f"]
        for call in (fit.anova, fit.ranova, lambda: fit.emmeans("f"), fit.plot_residuals, fit.plot_qq,
                     fit.influence, lambda: fit.predict(as_dask(parts), se_fit=True)):
            with pytest.raises(DataError, match="Dask DataFrame, whose rows stay in its partitions"):
                call()


def test_a_partition_without_a_complete_row_still_adds_to_scale():
    """scale() learns from every row, complete or not, as the in-memory model frame does: a partition whose
    every row lacks the response still adds its values of scale()'s argument."""
    rng = np.random.default_rng(5)
    data = reference.data("sleepstudy_reml").astype({"Days": float})
    data.loc[60:119, "Reaction"] = np.nan
    data.loc[60:119, "Days"] = data.loc[60:119, "Days"] + 10 * rng.random(60)
    formula = "Reaction ~ scale(Days) + (1 | Subject)"
    with dask.config.set(scheduler="sync"):
        whole = LinearMixedModel.from_formula(formula, data)
        spread = LinearMixedModel.from_dask(formula, as_dask([data.iloc[:60], data.iloc[60:120], data.iloc[120:]]))
    theta = np.full(whole.covariance.n_theta, 0.5)
    assert spread.objective(theta) == pytest.approx(whole.objective(theta), rel=1e-12)
