"""The fitted GLMM: lme4's glmerMod under lme4's names.

Two numbers lme4 calls a deviance differ for a GLMM, and both are here:
``objective`` (= -2 ``loglik``) is the criterion optimised, the Laplace or
quadrature approximation of -2 log p(y), which ``summary()`` and ``anova()``
print as "deviance"; ``deviance`` is lme4's ``deviance(fit)``, the sum of the
squared deviance residuals at the conditional modes (the GLM's deviance given
u, against the saturated model, without the penalty).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from functools import cached_property
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from .. import postfit
from ..errors import ConvergenceWarning, DataError
from ..pls import fixed_effects_step


class GlmerResult:
    """A fitted generalized linear mixed model (lme4's ``glmerMod``).

    ``fixef``, ``ranef``, ``theta``, ``sigma`` (1 for binomial and poisson), ``varcorr``, ``vcov``,
    ``loglik``, ``aic``, ``bic``, ``objective`` (-2 logLik), ``deviance`` (lme4's deviance(fit)), ``nobs``,
    ``ngroups``, ``singular``, ``fitted`` (response scale), ``linear_predictor``; ``residuals(type)``,
    ``coef_table()``, ``ranef_table()``, ``summary()``, ``predict()``, ``simulate()``.
    ``optsummary`` records the fit (its last stage); ``stage1`` the nAGQ = 0 stage's (theta, deviance,
    evaluations).
    """

    REML = False

    def __init__(self, model, nAGQ: int, state, objective: float, optsummary, derivatives=None, stage1=None):
        self.model, self.nAGQ, self.state = model, nAGQ, state
        self._objective = float(objective)
        self.optsummary, self.derivatives, self.stage1 = optsummary, derivatives, stage1
        self.data = None

    def __getstate__(self) -> dict:
        """Pickle without solvers (a CHOLMOD factor cannot be pickled); the result binds its own when needed."""
        state = dict(self.__dict__)
        state.pop("_solver", None)
        state["state"] = replace(self.state, solver=None)
        return state

    # ----------------------------------------------------------- the model
    @property
    def design(self):
        return self.model.design

    @property
    def family(self):
        return self.model.family

    @property
    def formula(self) -> str:
        return self.model.formula.text

    @property
    def theta(self) -> np.ndarray:
        return self.state.theta

    @property
    def beta(self) -> np.ndarray:
        return self.state.beta

    @property
    def fixef(self) -> pd.Series:
        return pd.Series(self.state.beta, index=self.model.fixef_names, name="fixef")

    @property
    def u(self) -> np.ndarray:
        return self.state.u

    @cached_property
    def solution(self) -> SimpleNamespace:
        """The fixed effects, theta and RX in the names of the LMM's PLS solution (prediction and the
        sequential anova read them): RX'RX = X'WX - RZX'RZX at the last PIRLS weights (lme4's pp$RX())."""
        return SimpleNamespace(beta=self.state.beta, theta=self.state.theta, RX=self._RX())

    @cached_property
    def _solver(self):
        """A solver of the fit's own holding the factor of the last PIRLS step (the fit's solvers share work
        arrays that later evaluations overwrite): bound to that step's Z'WZ and factored at theta."""
        model = self.model
        products = model.products.crossproducts(self.state.working_weights)
        with model.threads():
            return model.base_solver.bind(products, model.covariance).update(self.theta)  # new, the same settings

    def _RX(self) -> np.ndarray:
        if self.state.RX is not None:
            return self.state.RX
        model = self.model
        products = model.products.crossproducts(self.state.working_weights, np.zeros(model.nobs))
        solver = self._solver
        with model.threads():
            if not solver.holds(self.theta):
                solver.update(self.theta)
            RZX = solver.solve_L(model.covariance.times_lambda(self.theta, products.ZtX, transpose=True))
            return fixed_effects_step(products, np.zeros(model.q), RZX)[0]

    # ----------------------------------------------------------- variance components
    @property
    def sigma(self) -> float:
        """1 for families without a dispersion; else lme4's sqrt(pwrss / n)."""
        return float(np.sqrt(self.devcomp["pwrss"] / self.nobs)) if self.family.dispersion else 1.0

    @property
    def varcorr(self) -> pd.DataFrame:
        """as.data.frame(VarCorr(fit)): sigma^2 Lambda Lambda' per term (a Residual row where there is a dispersion)."""
        table = self.model.covariance.varcorr(self.theta, self.sigma)
        return table if self.family.dispersion else table[table["grp"] != "Residual"].reset_index(drop=True)

    @cached_property
    def b(self) -> np.ndarray:
        """Random effects on the linear predictor's scale, b = Lambda u (q,): lme4's conditional modes."""
        return self.model.covariance.times_lambda(self.theta, self.state.u)

    def term_ranef(self, index: int) -> np.ndarray:
        terms = self.design.terms
        start = sum(t.q for t in terms[:index])
        return self.b[start:start + terms[index].q].reshape(terms[index].m, terms[index].k)

    @cached_property
    def ranef(self) -> dict:
        """Conditional modes per grouping factor: levels x term columns."""
        out = {}
        for index, term in enumerate(self.design.terms):
            frame = pd.DataFrame(self.term_ranef(index), index=pd.Index(term.levels, name=term.group),
                                 columns=list(term.columns))
            out[term.group] = pd.concat([out[term.group], frame], axis=1) if term.group in out else frame
        return out

    @cached_property
    def condvar(self) -> dict:
        """Conditional covariances of the random effects per term (lme4's condVar), from the last PIRLS factor."""
        solver = self._solver
        with self.model.threads():
            if not solver.holds(self.theta):
                solver.update(self.theta)
            inverse = solver.inverse()
        return postfit.conditional_covariances(self, inverse)

    def ranef_table(self) -> pd.DataFrame:
        """lme4's ``as.data.frame(ranef(fit, condVar = TRUE))``: grpvar, term, grp, condval, condsd."""
        return postfit.ranef_table(self, self.condvar)

    @property
    def singular(self) -> bool:
        return self.model.covariance.is_singular(self.theta)

    # ----------------------------------------------------------- fixed effects
    @cached_property
    def vcov(self) -> pd.DataFrame:
        """lme4's vcov: from the Hessian of the deviance in (theta, beta), 2 H^-1 restricted to beta, where it
        was computed (nAGQ >= 1) and is positive definite; else sigma^2 (RX'RX)^-1."""
        names = self.model.fixef_names
        matrix = self._hessian_vcov()
        if matrix is None:
            RX_inv = np.linalg.inv(self.solution.RX)
            matrix = self.sigma**2 * RX_inv @ RX_inv.T
        return pd.DataFrame(matrix, index=names, columns=names)

    def _hessian_vcov(self):
        if self.derivatives is None:
            return None
        hessian = self.derivatives[1]
        t = self.model.n_theta
        try:
            inverse = np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            inverse = None
        if inverse is not None and np.all(np.isfinite(inverse)):
            block = inverse[t:, t:]
            matrix = block + block.T
            if np.linalg.eigvalsh(matrix).min() > 0:
                return matrix
        warnings.warn("variance-covariance matrix computed from finite-difference Hessian is\nnot positive definite "
                      "or contains NA values: falling back to var-cov estimated from RX", ConvergenceWarning,
                      stacklevel=3)
        return None

    @property
    def stderr(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov)), index=self.vcov.index, name="stderr")

    def coef_table(self) -> pd.DataFrame:
        """summary(fit)$coefficients: Estimate, Std. Error, z value (t value where the family has a dispersion,
        as lme4 labels it), Pr(>|z|) (normal, in both cases)."""
        estimate, se = self.fixef.to_numpy(), self.stderr.to_numpy()
        z = estimate / se
        label = "t value" if self.family.dispersion else "z value"
        return pd.DataFrame({"Estimate": estimate, "Std. Error": se, label: z,
                             "Pr(>|z|)": 2.0 * stats.norm.sf(np.abs(z))}, index=self.model.fixef_names)

    # ----------------------------------------------------------- fit statistics
    @property
    def objective(self) -> float:
        """The criterion optimised: -2 logLik (Laplace or quadrature); summary's "deviance"."""
        return self._objective

    @property
    def loglik(self) -> float:
        return -self._objective / 2.0

    @property
    def df(self) -> int:
        """Parameters: fixed effects, theta, and the dispersion where the family has one."""
        return self.model.p + self.model.n_theta + int(self.family.dispersion)

    @property
    def aic(self) -> float:
        return self._objective + 2.0 * self.df

    @property
    def bic(self) -> float:
        return self._objective + self.df * np.log(self.nobs)

    @property
    def df_resid(self) -> int:
        return self.nobs - self.df

    @property
    def deviance(self) -> float:
        """lme4's deviance(fit): the sum of squared deviance residuals at the conditional modes."""
        return float(np.sum(self.state.dev_resid))

    @cached_property
    def devcomp(self) -> dict:
        """lme4's devcomp$cmp: ldL2, wrss (Pearson's sum of squares), ussq, pwrss, drsum, dev."""
        wrss = float(np.sum(self.residuals("pearson") ** 2))
        ussq = float(self.state.u @ self.state.u)
        return {"ldL2": self.state.logdet, "wrss": wrss, "ussq": ussq, "pwrss": wrss + ussq,
                "drsum": self.deviance, "dev": self._objective}

    @property
    def nobs(self) -> int:
        return self.model.nobs

    @property
    def ngroups(self) -> dict:
        return self.design.ngroups

    @property
    def rows(self) -> np.ndarray:
        return self.design.rows

    @property
    def n_dropped(self) -> int:
        return self.design.n_dropped

    @property
    def messages(self) -> list[str]:
        return list(self.design.fit_messages)

    # ----------------------------------------------------------- rows
    @property
    def y(self) -> np.ndarray:
        """The coded response lme4 fits (fit@resp$y): 0/1, counts, or proportions for cbind and weights."""
        return self.model.y

    @property
    def weights(self) -> np.ndarray:
        """The prior weights (weights(fit)): trials times the weights given."""
        return self.model.weights

    @property
    def fitted(self) -> np.ndarray:
        """The conditional means on the response scale (fitted(fit))."""
        return self.state.mu

    @property
    def linear_predictor(self) -> np.ndarray:
        """eta = offset + X beta + Z b (predict(fit, type = "link"))."""
        return self.state.eta

    def residuals(self, type: str = "deviance") -> np.ndarray:
        """lme4's residuals(fit, type): "deviance" (default), "pearson", "response" or "working"."""
        y, mu = self.model.y, self.state.mu
        if type == "deviance":
            root = np.sqrt(np.maximum(self.state.dev_resid, 0.0))
            return np.where(y > mu, root, -root)
        if type == "pearson":
            return np.sqrt(self.model.weights / self.family.variance(mu)) * (y - mu)
        if type == "response":
            return y - mu
        if type == "working":
            return (y - mu) / self.family.link.mu_eta(self.state.eta)
        raise DataError(f"residuals type must be 'deviance', 'pearson', 'response' or 'working', not {type!r}")

    # ----------------------------------------------------------- after the fit
    def predict(self, newdata=None, type: str = "link", re_form=None, allow_new_levels: bool = False) -> np.ndarray:
        """lme4's predict: on the link scale (type="link") or the response scale (type="response"); conditional
        (re_form None), population ("~0" or "NA") or some terms' ("~(1|g)"). New levels need allow_new_levels
        (their effects are 0). As in lme4, new data get the formula's offset() terms but not glmer's offset=."""
        from .predict import predict

        return predict(self, newdata, type, re_form, allow_new_levels)

    def simulate(self, nsim: int = 1, seed=None) -> pd.DataFrame:
        """Responses drawn from the fitted model with new random effects (lme4's simulate)."""
        from .predict import simulate

        return simulate(self, nsim, seed)

    def summary(self):
        """lme4's glmer summary as text."""
        from .summary import GlmerSummary

        return GlmerSummary(self)

    def __repr__(self) -> str:
        return (f"<GlmerResult {self.formula!r} ({self.family.name}, {self.family.link.name}, nAGQ = {self.nAGQ}), "
                f"logLik {self.loglik:.4f}>")
