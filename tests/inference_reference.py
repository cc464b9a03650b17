"""The inference reference cases of tests/data/inference (made by make_inference.R there): data, fits, tables."""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

import reference
import sparselmm as slmm

DATA = Path(__file__).resolve().parent / "data" / "inference"
CASES = ["ham", "ham_age", "sleepstudy", "penicillin", "crossed", "pastes", "oats", "cake", "cake_temp", "machines",
         "singular"]
WITH_TERMS = [c for c in CASES if c not in ("penicillin", "pastes")]  # models with fixed-effect terms to test


@lru_cache(maxsize=None)
def spec(case: str) -> dict:
    return json.loads((DATA / f"{case}.json").read_text())


@lru_cache(maxsize=None)
def _data(name: str) -> pd.DataFrame:
    types = json.loads((DATA / "column_types.json").read_text())[name]
    return pd.read_csv(DATA / name, dtype={c: str for c, kind in types.items() if kind == "factor"})


def data(case: str) -> pd.DataFrame:
    return _data(spec(case)["data"]).copy()


def lme4_spec(block: dict) -> dict:
    """A ``fit`` block in the shape tests/reference.py's helpers read (theta, REML, objective)."""
    return {"theta": block["theta"], "REML": True, "objective": block["REMLcrit"]}


def quiet_lmer(formula: str, frame: pd.DataFrame, REML: bool = True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return slmm.lmer(formula, frame, REML=REML)


@lru_cache(maxsize=None)
def fit(case: str):
    """Our fit of the case, or where lme4 stopped short of the optimum, ours at lme4's theta."""
    s = spec(case)
    ours = quiet_lmer(s["formula"], data(case))
    compared = reference.at_lme4s_theta(lme4_spec(s["fit"]), ours)
    compared.data, compared.call = ours.data, ours.call  # the same lmer call, evaluated at lme4's theta
    return compared


def table(block: dict) -> pd.DataFrame:
    """An R table of the JSON as a DataFrame (null -> NaN)."""
    values = [[np.nan if v is None else v for v in row] for row in block["values"]]
    return pd.DataFrame(values, index=block["rownames"], columns=block["columns"])


# Agreement asked of every table: statistics, df and standard errors 1e-4, p-values 1e-3 (relative).
RTOL = {"Pr(>|t|)": 1e-3, "Pr(>F)": 1e-3, "Pr(>Chisq)": 1e-3, "p.value": 1e-3}


def relative_errors(ours: pd.DataFrame, theirs: pd.DataFrame, columns=None) -> dict:
    """{column: worst relative error}, rows matched by position after checking the labels."""
    columns = list(theirs.columns) if columns is None else columns
    out = {}
    for column in columns:
        a = ours[column].to_numpy(dtype=float)
        b = theirs[column].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{column}: NaN pattern {a} vs {b}"
        keep = ~np.isnan(b)
        scale = np.maximum(np.abs(b[keep]), 1e-8)  # an exact 0 (a likelihood ratio of 0) within 1e-8 absolute
        out[column] = float(np.max(np.abs(a[keep] - b[keep]) / scale, initial=0.0))
    return out


def assert_table(ours: pd.DataFrame, theirs: pd.DataFrame, columns=None, rtol: float = 1e-4, what: str = ""):
    """Same row labels, and each column within its tolerance (RTOL, else ``rtol``), relative."""
    assert list(ours.index) == list(theirs.index), f"{what}: rows {list(ours.index)} != {list(theirs.index)}"
    for column, error in relative_errors(ours, theirs, columns).items():
        assert error <= RTOL.get(column, rtol), f"{what} {column}: relative error {error:.3g}"
