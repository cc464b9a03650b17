"""Correlated random intercepts and slopes: lme4's sleepstudy, REML and ML.

Run: ``python examples/sleepstudy.py``.
"""

from pathlib import Path

import pandas as pd

import sparselmm as slmm

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "lme4" / "sleepstudy.csv"


def main() -> None:
    sleepstudy = pd.read_csv(DATA, dtype={"Subject": str})
    fit = slmm.lmer("Reaction ~ Days + (Days | Subject)", data=sleepstudy)
    print(fit.summary(), "\n")
    print(fit.varcorr, "\n")
    print(fit.ranef["Subject"].head(), "\n")

    ml = slmm.lmer("Reaction ~ Days + (Days | Subject)", data=sleepstudy, REML=False)
    print(f"ML: deviance {ml.objective:.4f}, AIC {ml.aic:.4f}, BIC {ml.bic:.4f}, theta {ml.theta.round(6)}")


if __name__ == "__main__":
    main()
