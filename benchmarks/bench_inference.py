"""asv benchmarks of the inference layer: Kenward-Roger and Satterthwaite tables on growing crossed data.

The design is pbkrtest's timing design (tests/data/inference/kr_design.R): 20 items, n / 20 subjects,
every subject sees every item once, a 3-level condition and a covariate; ``y ~ cond + x + (1 | subj) +
(1 | item)``. Up to 16,000 rows the data are R's own CSVs (tests/data/inference/kr_timing); the 50,000-row
set is drawn here in the same way (numpy's generator, seed 50000). Fitting is done in ``setup``; the timed
call is the table, from a fit whose inference cache is empty. ``KenwardRogerCrossed`` times the route for
scalar terms past the dense limit on a million rows. pbkrtest needed 412 s of CPU and 3.6 GB at
4,000 rows for ``summary(fit, ddf = "Kenward-Roger")`` (kr_timing.json).
"""

from pathlib import Path

import numpy as np
import pandas as pd

import sparselmm as slmm
from asv_settings import Slow

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "inference" / "kr_timing"
FORMULA = "y ~ cond + x + (1 | subj) + (1 | item)"


def kr_data(n: int) -> pd.DataFrame:
    """R's CSV for the sizes it wrote, else the same design drawn with numpy (seed n)."""
    path = DATA / f"kr_n{n}.csv"
    if path.exists():
        return pd.read_csv(path, dtype={"cond": str, "subj": str, "item": str})
    rng = np.random.default_rng(n)
    subjects = n // 20
    s, i = np.repeat(np.arange(1, subjects + 1), 20), np.tile(np.arange(1, 21), subjects)
    cond = np.array(["A", "B", "C"])[(s + i) % 3]
    u, w = rng.normal(0, 30, subjects), rng.normal(0, 20, 20)
    x = np.round(rng.standard_normal(n), 3)
    effect = np.select([cond == "B", cond == "C"], [15.0, -10.0], 0.0)
    y = np.round(500 + effect + 5 * x + u[s - 1] + w[i - 1] + rng.normal(0, 40, n), 2)
    return pd.DataFrame({"y": y, "cond": cond, "x": x, "subj": [f"s{v:05d}" for v in s],
                         "item": [f"i{v:02d}" for v in i]})


class KenwardRoger(Slow):
    """``fit.coef_table("Kenward-Roger")`` (pbkrtest's vcovAdj and one Lb_ddf per coefficient) and the type III
    anova with Kenward-Roger's F tests, 500 to 50,000 rows."""

    params = [500, 2000, 4000, 16000, 50000]
    param_names = ["rows"]

    def setup(self, rows):
        self.fit = slmm.lmer(FORMULA, kr_data(rows))

    def _fresh(self):
        self.fit.__dict__.pop("_inference_cache", None)
        return self.fit

    def time_coef_table(self, rows):
        self._fresh().coef_table("Kenward-Roger")

    def peakmem_coef_table(self, rows):
        self._fresh().coef_table("Kenward-Roger")

    def time_anova(self, rows):
        self._fresh().anova(ddf="Kenward-Roger")


class KenwardRogerCrossed(KenwardRoger):
    """The scalar-term route past the dense limit: 1e6 rows, 50,000 users x 1,000 items (51,000 random effects),
    ``y ~ x + (1 | user) + (1 | item)`` (benchmarks/synthetic.py)."""

    params = ["1e6"]

    def setup(self, rows):
        import synthetic

        self.fit = slmm.lmer(synthetic.CROSSED_FORMULA, synthetic.crossed(synthetic.CROSSED[rows]))


class Satterthwaite(KenwardRoger):
    """``fit.coef_table("Satterthwaite")``: the Hessian of the deviance in (theta, sigma) by differences of the
    exact gradient, and the exact Jacobian of vcov(beta)."""

    def time_coef_table(self, rows):
        self._fresh().coef_table("Satterthwaite")

    def peakmem_coef_table(self, rows):
        self._fresh().coef_table("Satterthwaite")

    def time_anova(self, rows):
        self._fresh().anova(ddf="Satterthwaite")
