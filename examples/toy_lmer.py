"""The seed's 5-row example, end to end: simulate, fit by alternating, fit as lmer does, compare with lme4.

The seed reproduced ``lmer(y ~ x1 + (1 | subject), REML = FALSE)`` in base R:
it simulated 5 measurements on 3 subjects, alternated between generalised
least squares for beta and the variance parameters at fixed beta, and matched
lmer's estimates. Run: ``python examples/toy_lmer.py`` (or ``make example``).
"""

import numpy as np
import pandas as pd

import sparselmm as slmm
from sparselmm.rformat import format_numbers

# What lme4 1.1-31 returned for this model (tests/data/reference/toy_ml.json), kept here as data.
LME4 = {
    "(Intercept)": 2.13525159104241,
    "x1": 1.90183543863428,
    "theta": 0.92209823592971,
    "sigma_u": 0.348458081507155,
    "sigma_e": 0.377896918060819,
    "logLik": -3.53013619002657,
    "deviance": 7.06027238005315,
    "AIC": 15.0602723800531,
    "BIC": 13.4980240297895,
    "se (Intercept)": 0.542320224233292,
    "se x1": 0.162125195655367,
    "BLUP subject 1": -0.339360750512441,
    "BLUP subject 2": 0.0355712157861893,
    "BLUP subject 3": 0.303789534726257,
}


def simulate() -> pd.DataFrame:
    """The seed's data-generating process: y = X beta + Z u + epsilon, with every draw fixed."""
    data = pd.DataFrame({"x1": [1.0, 5, 2, 3, 4], "subject": ["1", "2", "3", "1", "2"]})
    beta = np.array([1.3, 2.0])
    u = {"1": -0.5, "2": 0.6, "3": 1.5}
    epsilon = np.array([0.9, 0.1, -0.2, 0.3, -0.4])
    data["y"] = beta[0] + beta[1] * data["x1"] + data["subject"].map(u) + epsilon
    return data


def alternating_fit(model: slmm.LinearMixedModel) -> slmm.LmerResult:
    """The seed's loop: beta by GLS, then the variance parameters at that beta, until nothing moves."""

    def report(iteration, theta, beta, objective):
        sigma_e = model.solve(theta).sigma(REML=False)
        print(f"*** Iteration {iteration} *** sigma_u estimate: {theta[0] * sigma_e:.6f}, "
              f"sigma_e estimate: {sigma_e:.6f}")
        print(f"log likelihood: {-objective / 2:.6f}")

    return model.fit(REML=False, optimizer=slmm.AlternatingOptimizer(callback=report))


def ours(fit: slmm.LmerResult) -> dict:
    ranef = fit.ranef["subject"]["(Intercept)"]
    return {
        "(Intercept)": fit.fixef["(Intercept)"],
        "x1": fit.fixef["x1"],
        "theta": fit.theta[0],
        "sigma_u": fit.varcorr["sdcor"][0],
        "sigma_e": fit.sigma,
        "logLik": fit.loglik,
        "deviance": fit.objective,
        "AIC": fit.aic,
        "BIC": fit.bic,
        "se (Intercept)": fit.stderr["(Intercept)"],
        "se x1": fit.stderr["x1"],
        "BLUP subject 1": ranef["1"],
        "BLUP subject 2": ranef["2"],
        "BLUP subject 3": ranef["3"],
    }


def compare(fit: slmm.LmerResult) -> None:
    """Both sets of estimates as R prints numbers (7 significant digits)."""
    mine = ours(fit)
    print(f"{'':16s} {'lme4':>14s} {'sparselmm':>14s}")
    for name, theirs in LME4.items():
        a, b = format_numbers([theirs])[0], format_numbers([mine[name]])[0]
        print(f"{name:16s} {a:>14s} {b:>14s}  {'same' if a == b else 'DIFFERENT'}")


def seed_dense(fit: slmm.LmerResult) -> dict:
    """The seed's closing computations, line by line, with dense 5 x 5 matrices."""
    X = fit.design.X
    y = fit.design.y
    Z = fit.design.Z.toarray()
    n = len(y)
    sigma_u, sigma_e = fit.varcorr["sdcor"][0], fit.sigma
    V = sigma_u**2 * Z @ Z.T + sigma_e**2 * np.eye(n)
    V_inv = np.linalg.inv(V)
    R = Z.T @ Z + (sigma_e**2 / sigma_u**2) * np.eye(Z.shape[1])
    Q_x = np.linalg.solve(X.T @ V_inv @ X, X.T @ V_inv)
    Q_z = np.linalg.solve(R, Z.T @ (np.eye(n) - X @ Q_x))
    P_x, P_z = X @ Q_x, Z @ Q_z
    P = P_x + P_z
    return {
        "BLUPs": Q_z @ y,
        "df fixed": np.trace(P_x),
        "df random": np.trace(P_z),
        "df residual": n - np.trace(P),
        "vcov": np.linalg.inv(X.T @ V_inv @ X),
    }


def seed_quantities(fit: slmm.LmerResult) -> None:
    """BLUPs, effective degrees of freedom and vcov from the sparse factor, beside the seed's dense ones."""
    dense = seed_dense(fit)
    df = fit.effective_df()
    rows = [
        ("BLUPs", fit.ranef["subject"]["(Intercept)"].to_numpy(), dense["BLUPs"]),
        ("df fixed", df["fixed"], dense["df fixed"]),
        ("df random", df["random"], dense["df random"]),
        ("df residual", df["residual"], dense["df residual"]),
        ("vcov", fit.vcov.to_numpy().ravel(), dense["vcov"].ravel()),
    ]
    print(f"{'':12s} {'sparse (sparselmm)':>40s}   {'dense (the seed)':>40s}")
    for name, sparse_value, dense_value in rows:
        a = " ".join(f"{v:9.6f}" for v in np.atleast_1d(sparse_value))
        b = " ".join(f"{v:9.6f}" for v in np.atleast_1d(dense_value))
        print(f"{name:12s} {a:>40s}   {b:>40s}")
    print(f"hat-matrix trace {fit.hat_trace():.6f}; leverages {np.round(fit.hatvalues(), 6)}")


def main() -> None:
    data = simulate()
    print(data.to_string(index=False), "\n")

    model = slmm.LinearMixedModel.from_formula("y ~ x1 + (1 | subject)", data)
    print("The seed's alternating fit (ML):")
    alternating = alternating_fit(model)
    print(f"converged: {alternating.optsummary.returnvalue}\n")

    fit = slmm.lmer("y ~ x1 + (1 | subject)", data, REML=False)
    print(fit.summary(), "\n")
    print("lme4's estimates beside ours:")
    compare(fit)
    print("\nThe seed's quantities: BLUPs, effective degrees of freedom (tr P_x, tr P_z, n - tr P), vcov:")
    seed_quantities(fit)


if __name__ == "__main__":
    main()
