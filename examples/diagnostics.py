"""A fit that lands on the boundary, and the pictures that show it.

lme4's Dyestuff2 (Box and Tiao's simulated yields of 6 batches) has less
variation between batches than the residual noise implies: the REML estimate
of the batch variance is 0, a singular fit. sparselmm says so as lme4 does,
records it on the fit, and the caterpillar plot shows every batch's effect at
zero. A well-identified fit (sleepstudy) is drawn beside it. Run:
``python examples/diagnostics.py [output folder]`` (default: docs/figures).
"""

import sys
import warnings
from pathlib import Path

import pandas as pd

import sparselmm as slmm

OUT = Path(__file__).resolve().parent.parent / "docs" / "figures"
SLEEPSTUDY = Path(__file__).resolve().parent.parent / "tests" / "data" / "lme4" / "sleepstudy.csv"

DYESTUFF2 = pd.DataFrame({
    "Batch": [b for b in "ABCDEF" for _ in range(5)],
    "Yield": [7.298, 3.846, 2.434, 9.566, 7.99, 5.22, 6.556, 0.608, 11.788, -0.892,
              0.11, 10.386, 13.434, 5.51, 8.166, 2.212, 4.852, 7.092, 9.288, 4.98,
              0.282, 9.014, 4.458, 9.446, 7.198, 1.722, 4.782, 8.106, 0.758, 3.758],
})


def singular_fit(out: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = slmm.lmer("Yield ~ 1 + (1 | Batch)", DYESTUFF2)
    for warning in caught:
        print(f"{warning.category.__name__}: {warning.message}")
    print(f"singular: {fit.singular}, theta: {fit.theta}, optimizer: {fit.optsummary.optimizer}, "
          f"evaluations: {fit.optsummary.evaluations}\n")
    print(fit.summary())
    fit.plot_caterpillar().savefig(out / "dyestuff2_caterpillar.png", dpi=100)


def regular_fit(out: Path) -> None:
    sleepstudy = pd.read_csv(SLEEPSTUDY, dtype={"Subject": str})
    fit = slmm.lmer("Reaction ~ Days + (Days | Subject)", sleepstudy)
    fit.plot_caterpillar().savefig(out / "sleepstudy_caterpillar.png", dpi=100)
    fit.plot_residuals().savefig(out / "sleepstudy_residuals.png", dpi=100)
    fit.plot_fit_log().savefig(out / "sleepstudy_fit_log.png", dpi=100)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    singular_fit(out)
    regular_fit(out)
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
