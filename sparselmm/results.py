"""The fitted model: lme4's estimates, BLUPs and fit statistics under lme4's names."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from . import postfit
from . import predict as _predict
from .data import row_index
from .distributed import DistributedRows, is_dask_dataframe
from .export import Tables
from .inference import Inference
from .intervals import predict_with_intervals
from .methods import LmerMethods
from .pls import PLSSolution


class LmerResult(Tables, Inference, LmerMethods):
    """A fitted linear mixed model (lme4's ``merMod``).

    Attributes follow lme4: ``fixef`` (Series), ``ranef`` (dict of DataFrames),
    ``theta``, ``sigma``, ``varcorr``, ``vcov``, ``objective`` (REML criterion or
    ML deviance), ``loglik``, ``aic``, ``bic``, ``nobs``, ``ngroups``, ``singular``,
    ``fitted`` and ``residuals`` (pandas Series on the caller's index: the rows used, or
    every row under na_action="exclude"; ``rows`` are the positions of the rows used in the
    caller's data). ``optsummary`` records how the fit went; the methods that refit and
    diagnose rows come from :class:`~sparselmm.methods.LmerMethods`.

    The result owns the solver that holds the factor at its theta, the penalized
    least squares solution there, the spherical random effects ``u`` (q,) and
    K = A^-1 Lambda' Z'X (q, p): the post-fit quantities need nothing else.
    """

    def __init__(self, model, solver, solution: PLSSolution, u: np.ndarray, K: np.ndarray, optsummary):
        self.model = model
        self.solver = solver
        self.solution = solution
        self.u, self.K = u, K
        self.optsummary = optsummary

    def __getstate__(self) -> dict:
        """Pickle without the solver (a CHOLMOD factor cannot be pickled); a default one is bound if needed."""
        state = dict(self.__dict__)
        state["solver"] = None
        return state

    @property
    def REML(self) -> bool:
        return self.optsummary.REML

    # ----------------------------------------------------------- estimates
    @property
    def design(self):
        return self.model.design

    @property
    def theta(self) -> np.ndarray:
        return self.solution.theta

    @property
    def sigma(self) -> float:
        return self.solution.sigma(self.REML)

    @property
    def fixef(self) -> pd.Series:
        return pd.Series(self.solution.beta, index=list(self.design.fixef_names), name="fixef")

    @cached_property
    def vcov(self) -> pd.DataFrame:
        """sigma^2 (RX'RX)^-1, named like fixef (p x p)."""
        RX_inv = np.linalg.inv(self.solution.RX)  # p x p: small
        names = list(self.design.fixef_names)
        return pd.DataFrame(self.sigma**2 * RX_inv @ RX_inv.T, index=names, columns=names)

    @property
    def stderr(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov)), index=self.vcov.index, name="stderr")

    @property
    def varcorr(self) -> pd.DataFrame:
        return self.model.covariance.varcorr(self.theta, self.sigma)

    @cached_property
    def b(self) -> np.ndarray:
        """Random effects on the data scale, b = Lambda u (q,): lme4's conditional modes."""
        return self.model.covariance.lambda_matrix(self.theta) @ self.u

    def term_ranef(self, index: int) -> np.ndarray:
        """The conditional modes of the index-th term (lme4's order), shape (levels, k)."""
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

    # ----------------------------------------------------------- fit
    @cached_property
    def fitted(self) -> pd.Series:
        """lme4's fitted(): a Series on the caller's index (every row under na_action="exclude", NaN where
        dropped; the rows used otherwise)."""
        if self._dask_rows is not None:
            return self._dask_rows.fitted()
        return self.on_rows(self.fitted_values, "fitted")

    @property
    def residuals(self) -> pd.Series:
        """lme4's residuals(): y - fitted, laid out as ``fitted``."""
        if self._dask_rows is not None:
            return self._dask_rows.residuals()
        return self.on_rows(self.design.y - self.fitted_values, "residuals")

    @cached_property
    def fitted_values(self) -> np.ndarray:
        """Fitted values over the rows used, (nobs,): what the row-level results are computed from."""
        self.design.require_rows("fitted values and residuals")
        return _predict.predict(self)

    def on_rows(self, values: np.ndarray, name: str | None = None) -> pd.Series:
        """Values over the rows used as a Series on the caller's rows (sparselmm.rows)."""
        layout = self.design.layout
        if layout is None:  # a design built without the caller's frame at hand
            return pd.Series(values, index=self.design.rows, name=name)
        return layout.series(values, name)

    @cached_property
    def _dask_rows(self):
        """A fit from a Dask DataFrame: its row-level results, Dask Series computed where the partitions live
        (sparselmm/distributed/). None for a fit whose rows are in memory (or were fitted from chunks)."""
        return self.design.dask_rows(self) if hasattr(self.design, "dask_rows") else None

    @property
    def rows(self) -> np.ndarray:
        """Positions in the caller's DataFrame of the rows used (others had missing values)."""
        return self.design.rows

    @property
    def n_dropped(self) -> int:
        """Rows dropped for missing values (lme4's na.omit)."""
        return self.design.n_dropped

    @property
    def nobs(self) -> int:
        return self.design.nobs

    @property
    def ngroups(self) -> dict:
        return self.design.ngroups

    @property
    def objective(self) -> float:
        """REML criterion (REML fits) or deviance, -2 log-likelihood (ML fits)."""
        return self.solution.objective(self.REML)

    @property
    def df(self) -> int:
        """Parameters: fixed effects, theta and sigma."""
        return len(self.solution.beta) + len(self.theta) + 1

    @property
    def loglik(self) -> float:
        return -self.objective / 2.0

    @property
    def aic(self) -> float:
        return self.objective + 2.0 * self.df

    @property
    def bic(self) -> float:
        return self.objective + self.df * np.log(self.nobs)

    @property
    def df_resid(self) -> int:
        return self.nobs - self.df

    @property
    def singular(self) -> bool:
        """lme4's isSingular: a template diagonal entry of theta below 1e-4."""
        return self.model.covariance.is_singular(self.theta)

    @property
    def messages(self) -> list[str]:
        """lme4's fit messages (its ``fitMsgs``), printed at the end of the summary."""
        return list(self.design.fit_messages)

    # ----------------------------------------------------------- after the fit
    @cached_property
    def _inverse(self):
        """The parts of A^-1 at theta the post-fit quantities need (from the fit's own factor)."""
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # huge theta: overflow is caught below
                if self.solver is None:  # unpickled
                    self.solver = self.model.default_solver().bind(self.model.crossprods, self.model.covariance)
                with self.solver.threads():
                    if not self.solver.holds(self.theta):
                        self.solver.update(self.theta)
                    inverse = self.solver.inverse()
        except np.linalg.LinAlgError as error:
            raise self._inverse_fails(f"({error})") from error
        if not (np.isfinite(inverse.A11_inv).all() and np.isfinite(inverse.S_inv).all()):
            raise self._inverse_fails("(it overflows)")
        return inverse

    def _inverse_fails(self, reason: str):
        return self.model.naming_the_model(
            f"A^-1 cannot be formed at this theta {reason}: the fit is degenerate; simplify the random effects "
            "(a term repeated, or more effects than the data support)"
        )

    @cached_property
    def condvar(self) -> dict:
        """Conditional covariances of the random effects, per term (VarCorr's labels): (levels, k, k)."""
        return postfit.conditional_covariances(self, self._inverse)

    def ranef_table(self) -> pd.DataFrame:
        """lme4's ``as.data.frame(ranef(fit, condVar = TRUE))``: grpvar, term, grp, condval, condsd."""
        return postfit.ranef_table(self, self.condvar)

    def hat_trace(self) -> float:
        """Trace of the hat matrix H (fitted = H y): lme4's ``sum(hatvalues(fit))``, computed exactly."""
        return postfit.hat_trace(self, self._inverse)

    def hatvalues(self) -> pd.Series:
        """Leverage of every row used (the diagonal of H), laid out as ``fitted``."""
        if self._dask_rows is not None:
            return self._dask_rows.hatvalues()
        return self.on_rows(postfit.hatvalues(self, self._inverse), "hatvalues")

    def effective_df(self) -> pd.Series:
        """The seed's split of tr(H): fixed = tr(P_x) = p, random = tr(P_z), residual = n - tr(H)."""
        trace = self.hat_trace()
        p = len(self.solution.beta)
        return pd.Series({"fixed": float(p), "random": trace - p, "residual": self.nobs - trace}, name="df")

    def predict(self, newdata=None, re_form=None, allow_new_levels: bool = False, se_fit: bool = False,
                interval: str | None = None, level: float = 0.95):
        """lme4's predict: conditional means (re_form None), population means ("~0") or some terms' ("~(1|g)").

        Without ``newdata`` the rows fitted, laid out as ``fitted``; with it, a Series on newdata's
        rows, NaN where a used column is missing. Levels unseen in the fit, and missing grouping values,
        raise a DataError unless ``allow_new_levels`` (their random effects are then 0). ``se_fit`` and
        ``interval`` ("confidence" or "prediction", at ``level``) give a DataFrame with columns fit,
        se_fit, lwr, upr (see :mod:`sparselmm.intervals` for the formulas).
        """
        if se_fit or interval is not None:
            return predict_with_intervals(self, newdata, re_form, allow_new_levels, se_fit, interval, level)
        if is_dask_dataframe(newdata) or (newdata is None and self._dask_rows is not None):  # a Dask Series
            return DistributedRows(self).predict(newdata, re_form, allow_new_levels)
        values = _predict.predict(self, newdata, re_form, allow_new_levels)
        return self.on_rows(values, "fit") if newdata is None else pd.Series(values, index=row_index(newdata), name="fit")

    def simulate(self, nsim: int = 1, seed=None) -> pd.DataFrame:
        """Responses drawn from the fitted model, new random effects each time (lme4's simulate)."""
        return _predict.simulate(self, nsim, seed)

    def summary(self, ddf=None):
        """lmer's summary as text (print it, or let the REPL show it); ``ddf="Satterthwaite"`` or
        ``"Kenward-Roger"`` gives lmerTest's, with df and p-values for the fixed effects."""
        from .summary import Summary

        return Summary(self, ddf)

    # ----------------------------------------------------------- pictures
    # Thin wrappers: the work is in sparselmm/plots.py; the tables and JSON come from export.Tables.
    def plot_caterpillar(self, group: str | None = None, z: float = 1.96, figsize=None):
        """BLUPs with condval +- z condsd per grouping factor and term (a matplotlib Figure)."""
        from .plots import caterpillar

        return caterpillar(self, group, z, figsize)

    def plot_residuals(self, figsize=None):
        """Residuals against fitted values (a matplotlib Figure)."""
        from .plots import residuals_vs_fitted

        return residuals_vs_fitted(self, figsize)

    def plot_qq(self, figsize=None):
        """Normal QQ plot of the residuals (a matplotlib Figure)."""
        from .plots import qq_residuals

        return qq_residuals(self, figsize)

    def plot_qq_ranef(self, group: str | None = None, figsize=None):
        """Normal QQ plots of the BLUPs per grouping factor and term (a matplotlib Figure)."""
        from .plots import qq_ranef

        return qq_ranef(self, group, figsize)

    @property
    def fit_log(self) -> pd.DataFrame:
        """theta and the criterion at every evaluation (``optsummary.log``)."""
        return self.optsummary.log

    def plot_fit_log(self, figsize=None):
        """The objective at each of the optimiser's evaluations (a matplotlib Figure)."""
        from .plots import fit_log

        return fit_log(self, figsize)
    # ----------------------------------------------------------- end of export and pictures

    def __repr__(self) -> str:
        kind = "REML" if self.REML else "ML"
        return f"<LmerResult {self.design.formula.text!r} ({kind}), objective {self.objective:.4f}>"
