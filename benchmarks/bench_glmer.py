"""asv benchmarks of glmer: time and peak memory of binomial GLMM fits (Laplace), VerbAgg to 1e6 rows.

Data are read or generated in ``setup`` (not timed); ``peakmem_*`` is the peak resident memory of
asv's fresh process: the data plus the fit.

- ``VerbAgg``: lme4's VerbAgg, 7,584 binary responses, 316 people crossed with 24 items, lme4's
  formula (lme4 1.1-31 took 2.7 s here; see benchmarks/results.md).
- ``UsersItems``: ``y ~ x + (1 | user) + (1 | item)``, binary, 2,000 users x 200 items, 1e5 and
  1e6 rows generated with numpy as tests/data/glmer/make_glmer_timing.R generates them with R
  (benchmarks/glmer_data.py); lme4 took 23 s of CPU for R's 1e5 rows.
"""

from pathlib import Path

import pandas as pd

import glmer_data
from asv_settings import Slow
import sparselmm as slmm

VERBAGG = Path(__file__).resolve().parents[1] / "tests" / "data" / "glmer" / "verbagg.csv"
VERBAGG_FORMULA = "r2 ~ (Anger + Gender + btype + situ) + (1 | id) + (1 | item)"


class VerbAgg(Slow):
    def setup(self):
        text = ["r2", "Gender", "btype", "situ", "id", "item"]
        self.data = pd.read_csv(VERBAGG, dtype={column: str for column in text})

    def time_fit(self):
        slmm.glmer(VERBAGG_FORMULA, self.data, "binomial")

    def peakmem_fit(self):
        slmm.glmer(VERBAGG_FORMULA, self.data, "binomial")


class UsersItems(Slow):
    params = list(glmer_data.SIZES)
    param_names = ["rows"]
    timeout = 1800

    def setup(self, rows):
        self.data = glmer_data.users_items(*glmer_data.SIZES[rows])

    def time_fit(self, rows):
        slmm.glmer(glmer_data.FORMULA, self.data, "binomial")

    def peakmem_fit(self, rows):
        slmm.glmer(glmer_data.FORMULA, self.data, "binomial")

    def time_fit_nagq0(self, rows):
        slmm.glmer(glmer_data.FORMULA, self.data, "binomial", nAGQ=0)
