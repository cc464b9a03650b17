"""An lmerTest-style analysis end to end, on lmerTest's ham data (consumers rating 4 hams, told or not).

Summary with Satterthwaite p-values, the type III anova, a likelihood-ratio test of the interaction,
the random-effects terms' tests, profile intervals, marginal means and Tukey-adjusted pairs.
Run: ``python examples/inference.py`` (the profile takes a few seconds).
"""

from pathlib import Path

import pandas as pd

import sparselmm as slmm

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "inference" / "ham.csv"
FULL = "Informed.liking ~ Product * Information + (1 | Consumer) + (1 | Consumer:Product)"
ADDITIVE = "Informed.liking ~ Product + Information + (1 | Consumer) + (1 | Consumer:Product)"


def main() -> None:
    ham = pd.read_csv(DATA, dtype={"Consumer": str, "Product": str, "Information": str, "Gender": str})
    fit = slmm.lmer(FULL, data=ham)
    print(fit.summary(ddf="Satterthwaite"), "\n")

    print("Type III Analysis of Variance Table with Satterthwaite's method")
    print(fit.anova(type=3), "\n")
    print("The same with Kenward-Roger's method")
    print(fit.anova(type=3, ddf="Kenward-Roger"), "\n")

    additive = slmm.lmer(ADDITIVE, data=ham)
    print("Likelihood-ratio test of the interaction (both refitted by ML)")
    print(slmm.anova(additive, fit, names=["additive", "full"]).to_string(), "\n")

    print("Random-effects terms (lmerTest's ranova)")
    print(fit.ranova().to_string(), "\n")

    print("Profile confidence intervals")
    print(fit.confint(method="profile"), "\n")

    print("Marginal means of Product (averaged over Information)")
    print(fit.emmeans("Product").to_string(index=False), "\n")
    print("Their pairwise differences, Tukey-adjusted")
    print(fit.pairs("Product", adjust="tukey").to_string(index=False))


if __name__ == "__main__":
    main()
