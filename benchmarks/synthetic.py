"""Synthetic data for the benchmarks: crossed users x items, and random slopes.

Every data set is drawn from ``numpy.random.default_rng(seed)`` with a fixed seed,
so two runs (and two machines) benchmark the same rows. Generation is vectorised:
ten million rows take a few seconds, and asv does it in ``setup``, untimed.

Grouping columns are integer codes (sparselmm treats a grouping column of any
dtype as categorical; so do lme4 and mixedlm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEED = 20240601


@dataclass(frozen=True)
class CrossedSpec:
    """Sizes and true parameters of ``y ~ x + (1 | user) + (1 | item)``."""

    n_rows: int
    n_users: int
    n_items: int
    beta: tuple[float, float] = (2.0, 0.5)
    sd_user: float = 1.0
    sd_item: float = 0.5
    sd_noise: float = 1.0

    @property
    def name(self) -> str:
        return f"crossed_{_short(self.n_rows)}_{_short(self.n_users)}x{_short(self.n_items)}"


CROSSED = {
    "1e5": CrossedSpec(100_000, 5_000, 500),
    "1e6": CrossedSpec(1_000_000, 50_000, 1_000),
    "1e6_5k": CrossedSpec(1_000_000, 20_000, 5_000),
    "1e7": CrossedSpec(10_000_000, 500_000, 2_000),
}

CROSSED_FORMULA = "y ~ x + (1 | user) + (1 | item)"
SLOPES_FORMULA = "y ~ x + (x | user)"
CROSSED_SLOPES_FORMULA = "y ~ x + (x | user) + (x | item)"
LATIN_SQUARE_FORMULA = "y ~ a * b * c + (1 + a + b + c | subject) + (1 + a + b + c | item)"
LATIN_SQUARE_MAX_FORMULA = "y ~ a * b * c + (1 + a * b * c | subject) + (1 + a * b * c | item)"


def balanced_codes(rng: np.random.Generator, n_rows: int, n_levels: int) -> np.ndarray:
    """Level codes 0..n_levels-1, each used equally often (within one), in random order.

    Balanced so that every level occurs (no empty factor levels at any size).
    """
    dtype = np.int32 if n_levels < 2**31 else np.int64
    codes = np.arange(n_rows, dtype=np.int64) % n_levels
    return rng.permutation(codes).astype(dtype)


def crossed(spec: CrossedSpec, seed: int = SEED) -> pd.DataFrame:
    """Rows of y = b0 + b1 x + user effect + item effect + noise, users crossed with items."""
    rng = np.random.default_rng(seed)
    user = balanced_codes(rng, spec.n_rows, spec.n_users)
    item = balanced_codes(rng, spec.n_rows, spec.n_items)
    x = rng.standard_normal(spec.n_rows)
    user_effect = rng.normal(0.0, spec.sd_user, spec.n_users)
    item_effect = rng.normal(0.0, spec.sd_item, spec.n_items)
    noise = rng.normal(0.0, spec.sd_noise, spec.n_rows)
    y = spec.beta[0] + spec.beta[1] * x + user_effect[user] + item_effect[item] + noise
    return pd.DataFrame({"y": y, "x": x, "user": user, "item": item})


def random_slopes(n_rows: int = 1_000_000, n_users: int = 50_000, seed: int = SEED,
                  sds: tuple[float, float] = (1.0, 0.5), corr: float = 0.3) -> pd.DataFrame:
    """Rows of ``y ~ x + (x | user)``: correlated per-user intercepts and slopes."""
    rng = np.random.default_rng(seed)
    user = balanced_codes(rng, n_rows, n_users)
    x = rng.standard_normal(n_rows)
    cov = np.array([[sds[0] ** 2, corr * sds[0] * sds[1]],
                    [corr * sds[0] * sds[1], sds[1] ** 2]])
    effects = rng.standard_normal((n_users, 2)) @ np.linalg.cholesky(cov).T
    noise = rng.standard_normal(n_rows)
    y = 2.0 + effects[user, 0] + (0.5 + effects[user, 1]) * x + noise
    return pd.DataFrame({"y": y, "x": x, "user": user})


def _short(count: int) -> str:
    """20000 -> '20k', 1000000 -> '1M': compact names for sizes."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if count % size == 0:
            return f"{count // size}{suffix}"
    return str(count)


def text_keys(data: pd.DataFrame, columns=("user", "item")) -> pd.DataFrame:
    """The same rows with the grouping columns as text ("u17", "i3"): keys as they arrive from a database."""
    out = data.copy()
    for column in columns:
        out[column] = column[0] + out[column].astype(str)
    return out


def crossed_slopes(n_users: int = 5_000, n_items: int = 500, per_user: int = 40, seed: int = SEED) -> pd.DataFrame:
    """Rows of ``y ~ x + (x | user) + (x | item)``: each user rates ``per_user`` distinct items (items drawn
    at random), correlated intercepts and slopes on both sides; 2e5 rows by default."""
    rng = np.random.default_rng(seed)
    user = np.repeat(np.arange(n_users), per_user)
    item = np.argsort(rng.random((n_users, n_items)), axis=1)[:, :per_user].ravel()
    x = rng.standard_normal(len(user))
    user_cov = np.array([[1.0, 0.3 * 0.5], [0.3 * 0.5, 0.25]])
    item_cov = np.array([[0.25, -0.2 * 0.5 * 0.3], [-0.2 * 0.5 * 0.3, 0.09]])
    by_user = rng.standard_normal((n_users, 2)) @ np.linalg.cholesky(user_cov).T
    by_item = rng.standard_normal((n_items, 2)) @ np.linalg.cholesky(item_cov).T
    y = (2.0 + 0.5 * x + by_user[user, 0] + by_user[user, 1] * x + by_item[item, 0] + by_item[item, 1] * x
         + rng.standard_normal(len(user)))
    return pd.DataFrame({"y": y, "x": x, "user": user, "item": item})


def latin_square() -> pd.DataFrame:
    """The psycholinguistic design of tests/data/lme4 (made with R, make_engine_cases.R): 60 subjects x 40
    items, each subject sees each item once, three two-level factors a, b, c rotated over items."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tests" / "data" / "lme4" / "latin_square.csv"
    return pd.read_csv(path, dtype={"subject": str, "item": str, "a": str, "b": str, "c": str})
