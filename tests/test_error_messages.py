"""Error messages reached through the public API: each bad input raises sparselmm's own exception type, and
its message names the problem (and the fix where it gives one). These are raise sites that no other test
checked: data containers, lmer's control, the response and the numeric columns, formulas (poly(), ns(),
offset()), prediction on new data, and the refits and inference (update, influence, anova, ranova,
emmeans, Kenward-Roger, profile) on fits that cannot give them.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import sparselmm as slmm
from sparselmm import DataError, FormulaError, SparseLMMError

FORMULA = "y ~ x + (1 | g)"


def quietly(call, *args, **kwargs):
    """The call's result with the fit's warnings (singular fit, convergence) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


@pytest.fixture(scope="module")
def data():
    """24 rows: a response y, a covariate x, a grouping factor g (6 groups of 4) and a factor h (3 levels)."""
    rng = np.random.default_rng(11)
    return pd.DataFrame({"y": rng.normal(size=24), "x": rng.normal(size=24), "g": np.repeat(list("abcdef"), 4),
                         "h": np.tile(list("uvw"), 8)})


@pytest.fixture(scope="module")
def fit(data):
    return quietly(slmm.lmer, FORMULA, data)


@pytest.fixture(scope="module")
def factor_fit(data):
    return quietly(slmm.lmer, "y ~ x + h + (1 | g)", data)


def fit_without_call(data, formula=FORMULA):
    """A fit made by the model class itself: it holds neither the lmer call nor (unless set) the data."""
    return quietly(lambda: slmm.LinearMixedModel.from_formula(formula, data).fit())


# ------------------------------------------------------------------------------------------ data containers


class UnreadableFrame:
    """A container offering the interchange protocol whose producer fails."""

    def __dataframe__(self, nan_as_null=False, allow_copy=True):
        raise RuntimeError("the producer gave up")


@pytest.mark.filterwarnings("ignore:The Dataframe Interchange Protocol is deprecated")
@pytest.mark.parametrize("where", ["data", "newdata"])
def test_a_container_pandas_cannot_read_is_named_with_its_type_and_the_producers_reason(where, fit):
    with pytest.raises(DataError, match=rf"^{where} of type .*UnreadableFrame could not be read as a data frame: "
                                        r"the producer gave up"):
        if where == "data":
            slmm.lmer(FORMULA, UnreadableFrame())
        else:
            fit.predict(UnreadableFrame())


def test_an_arrow_table_with_a_column_pandas_has_no_type_for_is_refused_naming_the_arrow_type(data):
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(data, preserve_index=False)
    union = pa.UnionArray.from_sparse(pa.array([0] * len(data), pa.int8()), [pa.array(range(len(data)))])
    table = table.append_column("u", union)
    with pytest.raises(DataError, match=r"data of type pyarrow\.lib\.Table could not be read as a data frame: "
                                        r".*sparse_union"):
        slmm.lmer(FORMULA, table)


# ------------------------------------------------------------------------------------------ control


@pytest.mark.parametrize("make", ["LmerControl", "lmer with a control dict"])
def test_opt_ctrl_is_refused_beside_an_optimizer_object_whose_options_are_its_own(make, data):
    settings = {"optimizer": slmm.BobyqaOptimizer(), "opt_ctrl": {"maxeval": 10}}
    with pytest.raises(SparseLMMError, match=r"opt_ctrl applies to an optimizer given by name; "
                                             r"set the options on the object"):
        if make == "LmerControl":
            slmm.LmerControl(**settings)
        else:
            slmm.lmer(FORMULA, data, control=settings)


# ------------------------------------------------------------------------------------------ columns of the model


@pytest.mark.parametrize("column", ["x", "y"])
def test_a_complex_valued_column_is_refused_by_name(column, data):
    complex_data = data.assign(**{column: data[column] + 1j})
    with pytest.raises(DataError, match=rf"the column '{column}' is complex-valued; lmer needs real numbers"):
        slmm.lmer(FORMULA, complex_data)


@pytest.mark.parametrize("response", ["label", "positive"], ids=["text", "booleans"])
def test_a_categorical_response_is_refused_as_not_numeric(response, data):
    frame = data.assign(label=data["h"], positive=data["y"] > 0)
    with pytest.raises(DataError, match=rf"the response '{response}' is not numeric; lmer needs a numeric response"):
        slmm.lmer(f"{response} ~ x + (1 | g)", frame)


@pytest.mark.parametrize(
    "formula, arguments, named",
    [
        ("y ~ x + (1 | g)", {}, "x"),
        ("y ~ x + (1 | g)", {}, "y"),
        ("y ~ x + (1 | g)", {"weights": "w"}, "weights"),
        ("y ~ x + (1 | g)", {"offset": "w"}, "offset"),
        ("y ~ x + offset(w) + (1 | g)", {}, "offset(w)"),
    ],
)
def test_an_infinite_value_is_refused_naming_the_column_its_count_and_first_row(formula, arguments, named, data):
    frame = data.assign(w=1.0)
    frame.loc[3, "w" if named not in ("x", "y") else named] = np.inf
    with pytest.raises(DataError, match="^" + re.escape(f"'{named}' has 1 infinite value(s) (first at row 3); "
                                                        "remove or replace them before fitting")):
        slmm.lmer(formula, frame, **arguments)


# ------------------------------------------------------------------------------------------ formulas


def test_poly_given_coefs_is_refused_since_the_fit_learns_them(data):
    with pytest.raises(FormulaError, match=r"'poly\(x, 2, coefs = 1\)': give poly\(\) no coefs; "
                                           r"the fit learns them and keeps them for new data"):
        slmm.lmer("y ~ poly(x, 2, coefs = 1) + (1 | g)", data)


@pytest.mark.parametrize("na_action", ["omit", "exclude"])
def test_ns_of_a_column_with_no_values_says_there_is_nothing_to_place_knots_on(na_action, data):
    with pytest.raises(DataError, match=r"'ns\(x, df = 3\)': no values to place the knots on"):
        slmm.lmer("y ~ ns(x, df = 3) + (1 | g)", data.assign(x=np.nan), na_action=na_action)


@pytest.mark.parametrize("term", ["offset(x, h)", "offset()"])
def test_offset_takes_exactly_one_argument(term, data):
    with pytest.raises(FormulaError, match=re.escape(f"'{term}': offset() takes exactly one argument")):
        slmm.lmer(f"y ~ x + {term} + (1 | g)", data)


# ------------------------------------------------------------------------------------------ prediction


@pytest.mark.parametrize("allow_new_levels", [False, True])
def test_a_new_level_of_a_fixed_effect_factor_is_refused_naming_the_rows_and_the_known_levels(
        allow_new_levels, data, factor_fit):
    newdata = data.head(3).assign(h=["u", "v", "z"])
    with pytest.raises(DataError, match=r"'h' in the fixed effects has values the fit never saw \(rows 2\); "
                                        r"its levels are u, v, w"):
        factor_fit.predict(newdata, allow_new_levels=allow_new_levels)


# ------------------------------------------------------------------------------------------ refits


def test_update_of_a_fit_without_an_lmer_call_says_to_fit_it_with_lmer(data):
    with pytest.raises(SparseLMMError, match=r"update\(\) repeats the fit's lmer call, and this fit has none: "
                                             r"fit it with slmm\.lmer"):
        fit_without_call(data).update(REML=False)


@pytest.mark.parametrize("groups", ["subject", ["g", "subject"]])
def test_influence_groups_naming_no_column_lists_the_datas_columns(groups, fit):
    with pytest.raises(SparseLMMError, match=re.escape(f"groups={groups!r}: no column 'subject' in the data; "
                                                       "its columns are y, x, g, h")):
        fit.influence(groups=groups)


# ------------------------------------------------------------------------------------------ likelihood-ratio tests


def test_anova_of_no_models_asks_for_one():
    with pytest.raises(SparseLMMError, match=r"anova needs at least one fitted model"):
        slmm.anova()


@pytest.mark.parametrize("names", [["only"], ["same", "same"], ["a", "b", "c"]])
def test_anova_names_must_be_one_distinct_label_per_model(names, fit, factor_fit):
    with pytest.raises(SparseLMMError, match=r"names must be 2 distinct labels, one per model; got \["):
        slmm.anova(fit, factor_fit, names=names)


def test_ranova_of_a_fit_without_an_lmer_call_says_to_fit_it_with_lmer(data):
    model_fit = fit_without_call(data)  # neither the call nor the data: the call is what ranova needs first
    with pytest.raises(SparseLMMError, match=r"ranova\(\) refits the fit's lmer call with each reduced formula: "
                                             r"fit it with slmm\.lmer"):
        model_fit.ranova()


def test_ranova_refuses_a_reduced_model_fitted_to_more_rows(data):
    gaps = data.astype({"h": object})
    gaps.loc[[0, 5], "h"] = None  # the full model drops these rows; the model without (1 | h) keeps them
    full = quietly(slmm.lmer, "y ~ x + (1 | g) + (1 | h)", gaps)
    with pytest.raises(SparseLMMError, match=r"number of rows in use has changed: remove missing values first"):
        full.ranova()


# ------------------------------------------------------------------------------------------ the fit's data


def test_inference_on_a_fit_without_its_data_says_how_to_give_it(data):
    model_fit = fit_without_call(data, "y ~ h + (1 | g)")
    with pytest.raises(SparseLMMError, match=r"this needs the data the model was fitted on, and the fit does not "
                                             r"hold it: fit with slmm\.lmer\(formula, data\), or set fit\.data"):
        model_fit.emmeans("h")


@pytest.mark.parametrize("method", ["emmeans", "ranova"])
def test_inference_on_a_fit_given_other_data_counts_the_rows_and_asks_for_the_fits_own(method, data):
    other = quietly(slmm.lmer, "y ~ h + (1 | g)", data)
    other.data = data.head(20)
    with pytest.raises(SparseLMMError, match=r"fit\.data gives 20 complete rows where the fit used 24: it is not "
                                             r"the data the model was fitted on; set fit\.data to that DataFrame"):
        other.emmeans("h") if method == "emmeans" else other.ranova()


# ------------------------------------------------------------------------------------------ emmeans


@pytest.mark.parametrize("specs", [3, None, {"h": 1}])
def test_emmeans_specs_of_another_type_are_refused_listing_the_accepted_forms(specs, factor_fit):
    with pytest.raises(SparseLMMError, match=r"specs must be a factor's name, a formula such as '~ A \| B' or a "
                                             r"list; got "):
        factor_fit.emmeans(specs)


# ------------------------------------------------------------------------------------------ Kenward-Roger


def wide_model(scalar: bool):
    """A fit with just over 6,000 random effects held dense: (1 + x | g) on 3,001 groups of 3 rows, or
    (1 | g) + (1 | h) crossed on 6,001 levels each (the scalar route holds those after the first term
    dense). Each level of the crossed model has 2 rows, so its factor stays sparse (3 rows each, at random,
    make the factor nearly dense and the fit take minutes); lme4's check that there are more rows than
    random effects is then off."""
    rng = np.random.default_rng(3)
    levels, rows = (6001, 2) if scalar else (3001, 3)
    g = np.arange(rows * levels) % levels
    frame = pd.DataFrame({"y": rng.normal(size=len(g)), "x": rng.normal(size=len(g)), "g": g,
                          "h": rng.permutation(len(g)) % levels})
    if scalar:
        return quietly(slmm.lmer, "y ~ x + (1 | g) + (1 | h)", frame, control={"check_nobs_vs_nRE": "ignore"})
    return quietly(slmm.lmer, "y ~ x + (1 + x | g)", frame)


@pytest.mark.parametrize("scalar, reason", [
    (False, r"Z'V\^-1 Z is held dense \(q x q\) up to 6000 random effects, and this model has 6002"),
    (True, r"its 6001 random effects after the first term are held dense, up to 6000"),
], ids=["vector-valued term", "scalar terms"])
def test_kenward_roger_beyond_the_dense_limit_says_why_and_offers_satterthwaite(scalar, reason):
    with pytest.raises(SparseLMMError, match=rf"Kenward-Roger cannot be computed here for this model: {reason}.*; "
                                             r"use ddf='Satterthwaite', which needs no such matrix"):
        wide_model(scalar).anova(ddf="Kenward-Roger")


# ------------------------------------------------------------------------------------------ profiles


@pytest.mark.parametrize("method, zeta", [("profile", "2.58"), ("confint", "1.96")])
def test_a_flat_profile_says_which_parameter_does_not_reach_zeta(method, zeta, data):
    # z is zero in every row: its random slope's sd leaves the deviance unchanged, so its profile is flat
    flat = quietly(slmm.lmer, "y ~ x + (1 | g) + (0 + z | h)", data.assign(z=0.0))
    with pytest.raises(SparseLMMError, match=rf"the profile of \.sig02 does not reach zeta = {zeta}$"):
        flat.profile() if method == "profile" else flat.confint()


# ---------------------------------------------------------------- found while writing these tests, fixed
def test_a_text_column_named_as_weights_or_offset_is_refused_by_name(data):
    for argument in ("weights", "offset"):
        with pytest.raises(DataError, match=rf"{argument}='h' names a column that is not numeric"):
            slmm.lmer("y ~ x + (1 | g)", data, **{argument: "h"})


def test_a_subset_that_keeps_no_row_says_so(data):
    with pytest.raises(DataError, match="subset keeps none of the 24 rows"):
        slmm.lmer("y ~ x + (1 | g)", data, subset="x > 100")


def test_new_data_missing_a_value_in_every_row_predicts_nan_everywhere(data):
    fit = quietly(slmm.lmer, "y ~ x + (1 | g)", data)
    predicted = fit.predict(data.drop(columns="y").assign(x=np.nan))
    assert len(predicted) == len(data) and predicted.isna().all()


def test_an_unseen_level_in_a_random_term_is_named_once(data):
    fit = quietly(slmm.lmer, "y ~ x + (1 + h | g)", data)
    with pytest.raises(DataError, match=r"'h' in the random-effects term for 'g' has values the fit never saw"):
        fit.predict(data.head(3).assign(h=["u", "v", "zz"]))


def test_a_tiny_alpha_max_profiles_as_far_as_it_can_or_says_why(data):
    fit = quietly(slmm.lmer, "y ~ x + (1 | g)", data)
    try:
        table = fit.profile(alpha_max=1e-17)
    except SparseLMMError as error:
        assert "does not reach zeta" in str(error)
    else:
        assert np.isfinite(table["zeta"]).all()


def test_influence_of_no_groups_is_refused(data):
    with pytest.raises(SparseLMMError, match=r"groups=\[\] names no column"):
        quietly(slmm.lmer, "y ~ x + (1 | g)", data).influence(groups=[])


def test_anova_names_must_be_a_list_and_emmeans_specs_not_empty(data):
    f1, f2 = quietly(slmm.lmer, "y ~ 1 + (1 | g)", data), quietly(slmm.lmer, "y ~ x + (1 | g)", data)
    with pytest.raises(SparseLMMError, match="names must be a list of 2 labels"):
        slmm.anova(f1, f2, names="ab")
    with pytest.raises(SparseLMMError, match="specs must be a factor's name"):
        f2.emmeans("")
