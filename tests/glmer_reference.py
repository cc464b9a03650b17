"""lme4's glmer reference fits (tests/data/glmer, made by make_glmer.R; README.md there documents every field)."""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

import sparselmm as slmm
from sparselmm.glmm.fit import GlmerFit
from sparselmm.glmm.model import GlmmModel

DATA = Path(__file__).resolve().parent / "data" / "glmer"
# grouseticks' parameters move by ~4e-5 between R sessions (README): judged at 1e-3, their -2 logLik tightly
SESSION_NOISE = {"grouseticks_poisson", "grouseticks_poisson_centred"}
SLOW = {"grouseticks_poisson"}  # its badly scaled HEIGHT makes BOBYQA take ~900 evaluations
FITTED = [  # every case with a fit of its own (the anova's smaller model included)
    "cbpp_logit_agq0", "cbpp_logit_agq1", "cbpp_logit_agq9", "cbpp_logit_agq25", "cbpp_probit_agq1",
    "cbpp_probit_agq9",
    "cbpp_cloglog_agq1", "cbpp_proportion_weights", "cbpp_proportion_weights_agq9", "cbpp_intercept_only",
    "grouseticks_poisson", "grouseticks_poisson_centred", "poisson_offset_formula", "poisson_offset_argument",
    "poisson_no_offset", "binary_slope", "verbagg", "binary_singular", "binary_numeric", "binary_logical",
    "binary_factor", "gamma_log", "inverse_gaussian_log",
]


@lru_cache(maxsize=None)
def case(case_id: str) -> dict:
    return json.loads((DATA / f"{case_id}.json").read_text())


def read(file: str, types: dict) -> pd.DataFrame:
    """A CSV as lme4 read it: factors as text, logicals as booleans."""
    data = pd.read_csv(DATA / file, dtype={c: str for c, kind in types.items() if kind == "factor"},
                       keep_default_na=False, na_values=[""])
    for column, kind in types.items():
        if kind == "logical":
            data[column] = data[column].map({"TRUE": True, "FALSE": False, True: True, False: False})
    return data


def data(case_id: str) -> pd.DataFrame:
    spec = case(case_id)
    return read(spec["data"], spec["column_types"])


def newdata(case_id: str) -> pd.DataFrame:
    spec = case(case_id)
    return read(spec["predict"]["newdata"], spec["newdata_column_types"])


def arguments(case_id: str) -> dict:
    spec = case(case_id)
    return dict(family=spec["family"], link=spec["link"], nAGQ=spec["nAGQ"], weights=spec["weights"],
                offset=spec["offset"])


@lru_cache(maxsize=None)
def fit(case_id: str):
    """Our fit of a case; the warnings it gave are kept as ``fit.caught`` (warning objects)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = slmm.glmer(case(case_id)["formula"], data(case_id), **arguments(case_id))
    result.caught = list(caught)
    return result


@lru_cache(maxsize=None)
def at_lme4(case_id: str):
    """Our result at lme4's parameters (stage 1 as in a fit, then lme4's theta and beta)."""
    spec, args = case(case_id), arguments(case_id)
    model = GlmmModel.from_formula(spec["formula"], data(case_id), args["family"], args["link"], args["weights"],
                                   args["offset"])
    return GlmerFit(model, args["nAGQ"]).at(spec["optinfo"]["par"])


def table(field: dict) -> pd.DataFrame:
    """An R table of the JSON ({rownames, columns, values}) as a DataFrame."""
    return pd.DataFrame(field["values"], index=field["rownames"], columns=field["columns"])


def named(field: dict) -> np.ndarray:
    return np.array(list(field.values()), dtype=float)


def relative_error(actual, expected) -> float:
    """max |actual - expected| / max |expected|: the error relative to the quantity's scale."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    return float(np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-300))


def elementwise_error(actual, expected) -> float:
    """max over entries of |actual - expected| / |expected|."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    return float(np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-300)))
