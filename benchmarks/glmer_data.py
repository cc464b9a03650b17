"""Synthetic binary users x items data for the glmer benchmarks, as tests/data/glmer/make_glmer_timing.R makes it.

    user_i ~ Uniform{1..n_users}, item_i ~ Uniform{1..n_items} (independently per row)
    x_i ~ N(0, 1), rounded to 4 decimals;  a_u ~ N(0, 1), b_j ~ N(0, 0.5^2)
    eta_i = -0.5 + 0.4 x_i + a[user_i] + b[item_i];  y_i ~ Bernoulli(1 / (1 + exp(-eta_i)))

with labels u0001.. and i001.. (zero-padded to the width of the counts). numpy's generator
draws other numbers than R's, from the same distributions: the R script's fits of its own
data (timing_users_items_n100000.json) show what lme4 does with such data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 2024
FORMULA = "y ~ x + (1 | user) + (1 | item)"
SIZES = {"1e5": (100_000, 2_000, 200), "1e6": (1_000_000, 2_000, 200)}


def users_items(n: int, n_users: int = 2_000, n_items: int = 200, seed: int = SEED) -> pd.DataFrame:
    """The binary users x items data, users and items as text labels (as they come from a database)."""
    rng = np.random.default_rng(seed)
    user = rng.integers(0, n_users, n)
    item = rng.integers(0, n_items, n)
    x = np.round(rng.standard_normal(n), 4)
    a = rng.standard_normal(n_users)
    b = 0.5 * rng.standard_normal(n_items)
    eta = -0.5 + 0.4 * x + a[user] + b[item]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    users = np.array([f"u{i + 1:0{len(str(n_users))}d}" for i in range(n_users)])
    items = np.array([f"i{j + 1:0{len(str(n_items))}d}" for j in range(n_items)])
    return pd.DataFrame({"y": y, "x": x, "user": users[user], "item": items[item]})
