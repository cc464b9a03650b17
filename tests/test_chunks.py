"""Fitting from chunks of rows gives the in-memory fit's numbers."""

import warnings

import numpy as np
import pytest

import reference
from sparselmm import DataError, LinearMixedModel

CASES = ["sleepstudy_reml", "insteval_reml", "two_factors_reml", "missing_values_reml",
         "interaction_grouping_reml", "rank_deficient_reml", "nested_ml", "logical_fixed_reml"]


def in_pieces(data, pieces=7):
    size = max(len(data) // pieces, 1)
    return [data.iloc[i:i + size] for i in range(0, len(data), size)]


def both(case_id):
    spec = reference.load_case(case_id)
    data = reference.data(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = LinearMixedModel.from_formula(spec["formula"], data)
        chunked = LinearMixedModel.from_chunks(spec["formula"], in_pieces(data))
    return spec, whole, chunked


@pytest.mark.parametrize("case_id", CASES)
def test_chunked_model_equals_the_in_memory_model(case_id):
    spec, whole, chunked = both(case_id)
    assert chunked.design.fixef_names == whole.design.fixef_names
    assert chunked.design.dropped_columns == whole.design.dropped_columns
    assert chunked.design.ngroups == whole.design.ngroups
    assert [t.levels for t in chunked.design.terms] == [t.levels for t in whole.design.terms]
    assert chunked.crossprods.nobs == whole.crossprods.nobs
    assert chunked.design.n_dropped == whole.design.n_dropped
    np.testing.assert_allclose(chunked.start(), whole.start(), rtol=1e-10)
    theta = reference.theta(spec)
    a, b = chunked.solve(theta), whole.solve(theta)
    assert a.objective(spec["REML"]) == pytest.approx(b.objective(spec["REML"]), rel=1e-10)
    np.testing.assert_allclose(a.beta, b.beta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(chunked.crossprods.ZtZ.toarray(), whole.crossprods.ZtZ.toarray(), rtol=1e-10)


@pytest.mark.parametrize("case_id", ["sleepstudy_reml", "insteval_reml", "rank_deficient_reml"])
def test_chunked_fit_equals_the_in_memory_fit(case_id):
    spec, whole, chunked = both(case_id)
    a, b = chunked.fit(REML=spec["REML"]), whole.fit(REML=spec["REML"])
    assert a.objective == pytest.approx(b.objective, rel=1e-10)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-8)
    np.testing.assert_allclose(a.fixef, b.fixef, rtol=1e-8)
    assert a.hat_trace() == pytest.approx(b.hat_trace(), rel=1e-8)
    np.testing.assert_allclose(a.predict(reference.data(case_id)), b.fitted, rtol=1e-8)


def test_csv_source_is_read_in_chunks(tmp_path):
    data = reference.data("sleepstudy_reml")
    path = tmp_path / "sleep.csv"
    data.to_csv(path, index=False)
    chunked = LinearMixedModel.from_chunks("Reaction ~ Days + (Days | Subject)", path,
                                           read_options={"dtype": {"Subject": str}, "chunksize": 50})
    whole = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", data)
    assert chunked.objective([0.9, 0.0, 0.2]) == pytest.approx(whole.objective([0.9, 0.0, 0.2]), rel=1e-12)


def test_given_levels_allow_a_one_shot_iterator():
    data = reference.data("sleepstudy_reml")
    levels = {"Subject": sorted(data["Subject"].unique())}
    chunked = LinearMixedModel.from_chunks("Reaction ~ Days + (Days | Subject)", iter(in_pieces(data)), levels=levels)
    whole = LinearMixedModel.from_formula("Reaction ~ Days + (Days | Subject)", data)
    assert chunked.objective([1.0, 0.1, 0.3]) == pytest.approx(whole.objective([1.0, 0.1, 0.3]), rel=1e-12)


def test_a_one_shot_iterator_needs_levels():
    with pytest.raises(DataError, match="levels="):
        LinearMixedModel.from_chunks("Reaction ~ Days + (1 | Subject)", iter(in_pieces(reference.data("sleepstudy_reml"))))


def test_a_level_missing_from_given_levels_is_named():
    data = reference.data("sleepstudy_reml")
    with pytest.raises(DataError, match="Subject"):
        LinearMixedModel.from_chunks("Reaction ~ Days + (1 | Subject)", in_pieces(data), levels={"Subject": ["308"]})


def test_row_level_results_need_the_rows():
    _, _, chunked = both("sleepstudy_reml")
    fit = chunked.fit()
    with pytest.raises(DataError, match="fitted from chunks"):
        fit.fitted
    assert "not kept" in str(fit.summary())


def test_a_chunk_without_a_complete_row_is_dropped_as_its_rows_would_be():
    """A chunk whose every row lacks a value adds no rows (as a Dask partition's), but scale() still learns
    from its values, as the in-memory model frame does."""
    rng = np.random.default_rng(5)
    data = reference.data("sleepstudy_reml").astype({"Days": float})
    data.loc[60:119, "Reaction"] = np.nan
    data.loc[60:119, "Days"] = data.loc[60:119, "Days"] + 10 * rng.random(60)
    chunks = [data.iloc[:60], data.iloc[60:120], data.iloc[120:]]
    for formula in ("Reaction ~ Days + (Days | Subject)", "Reaction ~ scale(Days) + (1 | Subject)"):
        whole = LinearMixedModel.from_formula(formula, data)
        chunked = LinearMixedModel.from_chunks(formula, chunks[1:2] + chunks[:1] + chunks[2:])
        assert chunked.design.n_dropped == whole.design.n_dropped == 60
        theta = np.full(whole.covariance.n_theta, 0.5)
        assert chunked.objective(theta) == pytest.approx(whole.objective(theta), rel=1e-12)
