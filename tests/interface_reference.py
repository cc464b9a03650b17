"""lme4's fits of lmer's wider interface (tests/data/interface, made by make_interface.R), read as lme4 read them.

Factor columns are read as text (their levels sort as R's do under the C locale), ordered columns as
ordered pandas Categoricals in the order the case records; each case's R arguments are given here
in Python's spelling, so that a test fits exactly the call R made.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd

import reference

INTERFACE = reference.ROOT / "tests" / "data" / "interface"

MACHINE_CONTRASTS = {
    "contrasts_sum": "contr.sum", "contrasts_helmert": "contr.helmert", "contrasts_poly": "contr.poly",
    "contrasts_SAS": "contr.SAS", "contrasts_matrix_named": pd.DataFrame({"AvB": [1, -1, 0], "ABvC": [0.5, 0.5, -1]}),
    "contrasts_matrix_unnamed": np.array([[1, 1], [-1, 1], [0, -2]]),
}

ARGUMENTS = {
    **{case: {"contrasts": {"Machine": spec}} for case, spec in MACHINE_CONTRASTS.items()},
    "ordered_treatment": {"contrasts": {"Type": "contr.treatment"}},
    "na_exclude": {"na_action": "exclude"},
    "na_omit": {"na_action": "omit"},
    "subset_days": {"subset": "Days >= 2"},
    "subset_drop_level": {"subset": "Subject != '308'"},
    "control_one_level": {"REML": False, "control": {"check_nlev_gtr_1": "ignore"}},
    "control_nlev_equals_nobs": {"control": {"check_nobs_vs_nlev": "warning", "check_nobs_vs_nRE": "warning"}},
    "optimizer_Nelder_Mead": {"control": {"optimizer": "Nelder_Mead"}},
    "optimizer_bobyqa": {"control": {"optimizer": "bobyqa"}},
    "optimizer_nloptwrap": {"control": {"optimizer": "nloptwrap"}},
    "weights_reml": {"weights": "w"}, "weights_ml": {"weights": "w"}, "weights_crossed_reml": {"weights": "w"},
    "offset_argument": {"offset": "off"}, "offset_and_weights": {"weights": "w"},
    "offset_argument_and_formula": {"offset": "off"},
}


@lru_cache(maxsize=None)
def load(case: str) -> dict:
    return json.loads((INTERFACE / f"{case}.json").read_text())


def read(file: str, types: dict, ordered_levels: dict | None = None) -> pd.DataFrame:
    """A CSV of the case as R read it: factors as text, ordered factors in their recorded order."""
    data = pd.read_csv(INTERFACE / file, dtype={c: str for c, kind in types.items() if kind != "numeric"},
                       keep_default_na=False, na_values=[""])
    for column, levels in (ordered_levels or {}).items():
        data[column] = pd.Categorical(data[column], categories=levels, ordered=True)
    return data


def data(case: str) -> pd.DataFrame:
    spec = load(case)
    return read(spec["data"], spec["column_types"], spec.get("ordered_levels") or None)


def newdata(case: str, key: str = "newdata") -> pd.DataFrame:
    spec = load(case)
    types = spec.get("newdata_column_types") or {"Days": "numeric", "Subject": "factor"}
    return read(spec[key], types)


def arguments(case: str) -> dict:
    """lmer's arguments other than formula and data, in Python's spelling (REML as lme4 was asked)."""
    spec = load(case)
    given = dict(ARGUMENTS.get(case, {}))
    given.setdefault("REML", spec["REML"] if spec["beta"] else True)
    return given


def matrix(values, rows: int) -> np.ndarray:
    return np.array(values, dtype=float).reshape(rows, -1)


def at_lme4s_theta(spec: dict, fit):
    """The fit at lme4's theta where lme4 stopped short of its optimum (reference.at_lme4s_theta)."""
    return reference.at_lme4s_theta(spec, fit)


assert_close = reference.assert_close
