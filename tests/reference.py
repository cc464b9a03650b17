"""lme4's reference fits: the project's first ones (tests/data/reference) and those made since (tests/data/lme4)."""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "tests" / "data" / "reference"
OURS = ROOT / "tests" / "data" / "lme4"
SUMMARIES = OURS / "summaries"

# Cases too large for the tests that build dense q x q matrices (q: InstEval 4,100, nested slopes 4,840)
LARGE = {"insteval_reml", "chem97_nested_ml", "latin_square_max_reml", "nested_slopes_saddle_reml"}


def case_paths() -> list[Path]:
    return sorted(SHARED.glob("*.json")) + sorted(OURS.glob("*.json"))


def case_ids(include_large: bool = True) -> list[str]:
    return [p.stem for p in case_paths() if include_large or p.stem not in LARGE]


@lru_cache(maxsize=None)
def load_case(case_id: str) -> dict:
    path = next(p for p in case_paths() if p.stem == case_id)
    spec = json.loads(path.read_text())
    spec["_dir"] = path.parent
    return spec


def _as_list(value):
    return value if isinstance(value, list) else [value]


def theta(spec) -> np.ndarray:
    return np.array(_as_list(spec["theta"]), dtype=float)


@lru_cache(maxsize=None)
def _read_data(case_id: str) -> pd.DataFrame:
    spec = load_case(case_id)
    path = spec["_dir"] / spec["data"]
    types = spec.get("column_types") or _quoted_columns(path)
    dtypes = {c: str for c, kind in types.items() if kind == "factor"}
    data = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    for column, kind in types.items():
        if kind == "logical":
            data[column] = data[column].map({"TRUE": True, "FALSE": False, True: True, False: False})
    return data


def data(case_id: str) -> pd.DataFrame:
    """The case's data as lme4 read it: quoted (text) columns as strings. A fresh copy."""
    return _read_data(case_id).copy()


def _quoted_columns(path: Path) -> dict:
    """Columns R wrote in quotes are factors (the convention of tests/data/reference)."""
    with open(path) as handle:
        header = handle.readline().strip().split(",")
        first = handle.readline().strip().split(",")
    return {h.strip('"'): ("factor" if f.startswith('"') else "numeric") for h, f in zip(header, first)}


def assert_close(actual, expected, rtol: float = 1e-4, what: str = "") -> None:
    """Within rtol of the largest expected entry (near-zero entries judged on their neighbours' scale)."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = np.max(np.abs(expected)) if expected.size else 0.0
    error = np.max(np.abs(actual - expected)) if expected.size else 0.0
    assert error <= rtol * scale + 1e-12, f"{what}: max error {error:.3g} > {rtol} x {scale:.3g}"


def stopped_short(spec, fit) -> bool:
    """lme4 stopped before its optimum by more than 1e-6 relative in theta, as measured by the Newton step from
    lme4's theta with our exact gradient (or its gradient check failed, or our criterion is lower than lme4's
    by more than lme4's ftol_abs, 1e-8). Parameters then differ from lme4's by lme4's stopping error."""
    failed = any("failed to converge" in m for m in spec.get("lme4_convergence") or [])
    if failed or fit.objective < spec["objective"] - 1e-8:
        return True
    if np.array_equal(fit.theta, theta(spec)) or np.allclose(fit.theta, theta(spec), rtol=1e-8, atol=1e-10):
        return False  # our fit retraced lme4's path: whatever lme4's error, ours is the same
    step = lme4_stopping_step(spec, fit)
    return np.max(np.abs(step)) > 1e-6 * max(np.max(np.abs(theta(spec))), 1e-300)


def at_lme4s_theta(spec, fit):
    """The fit to compare quantity by quantity with lme4's: ours, or where lme4 stopped short, ours at lme4's theta."""
    return fit.model.at(theta(spec), REML=spec["REML"]) if stopped_short(spec, fit) else fit


def lme4_stopping_step(spec, fit) -> np.ndarray:
    """The Newton step from lme4's theta to the optimum, H^-1 g with our exact gradient: lme4's stopping error."""
    from sparselmm import convergence

    criterion = fit.model.criterion(spec["REML"])
    gradient_at = lambda x: criterion.value_and_gradient(x)[1]  # noqa: E731
    start = theta(spec)
    gradient = gradient_at(start)
    hessian = convergence.hessian_of(gradient_at, start, gradient)
    return -convergence.newton_direction(gradient, hessian, start, fit.model.covariance.lower)


def fit_leaving_data_untouched(formula: str, data: pd.DataFrame, **arguments) -> tuple:
    """(slmm.lmer's fit, every warning it gave), checking that the caller's frame was not modified."""
    import sparselmm as slmm

    untouched = data.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = slmm.lmer(formula, data, **arguments)
    pd.testing.assert_frame_equal(data, untouched)
    return fit, list(caught)
