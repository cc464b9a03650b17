"""OptSummary: the one record of a fit, as MixedModels.jl keeps it.

Everything about how a fit went lives here: REML or ML, which solver factored
A(theta) and which optimizer moved theta, the start and the end, the best
criterion, the evaluations, what the optimizer said, lme4's convergence checks
(gradient and Hessian at the end), anything tried to finish a fit that stopped
short, the theta and criterion of every evaluation, and the seconds it took.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class OptSummary:
    REML: bool
    solver: str
    optimizer: str
    initial: np.ndarray  # (t,) the starting theta
    theta_names: list
    started_from: str = "lme4's start"  # or the start given
    final: np.ndarray | None = None  # (t,) the theta of the fit
    fmin: float = np.nan  # the criterion at final: REML criterion or ML deviance
    evaluations: int = 0  # criterion evaluations by the optimizer (and its restarts); the log holds all
    returnvalue: str = ""  # the optimizer's own word on why it stopped
    optimizer_converged: bool = False  # whether the optimizer itself reported convergence
    gradient: np.ndarray | None = None  # (t,) at final, where the checks ran
    hessian: np.ndarray | None = None  # (t, t)
    scaled_gradient: np.ndarray | None = None
    warnings: list = field(default_factory=list)  # lme4's convergence messages that still hold at the end
    tried: list = field(default_factory=list)  # what was done after the optimizer stopped
    seconds: float = 0.0
    evaluation_log: list = field(default_factory=list, repr=False)  # (theta, criterion) per evaluation

    @property
    def converged(self) -> bool:
        """The checks pass at the end (or, where they could not run, the optimizer said so)."""
        if self.gradient is not None:
            return not self.warnings
        return self.optimizer_converged and not self.warnings

    @property
    def code(self) -> int:
        """0 when the fit converged, as lme4's optimizer code."""
        return 0 if self.converged else 1

    @property
    def message(self) -> str:
        return self.returnvalue

    @property
    def log(self) -> pd.DataFrame:
        """theta and the criterion at every evaluation, in order (one row each)."""
        rows = [np.append(theta, value) for theta, value in self.evaluation_log]
        return pd.DataFrame(rows, columns=list(self.theta_names) + ["objective"])

    def __str__(self) -> str:
        kind = "REML" if self.REML else "ML"
        lines = [
            f"Fit by {kind} with solver {self.solver!r} and optimizer {self.optimizer!r} in {self.seconds:.3g} s",
            f"  initial theta: {np.array2string(np.asarray(self.initial), precision=6)} ({self.started_from})",
            f"  final theta:   {np.array2string(np.asarray(self.final), precision=6)}",
            f"  criterion {self.fmin:.10g} after {self.evaluations} evaluations; optimizer: {self.returnvalue}",
        ]
        if self.gradient is not None:
            lines.append(f"  max |gradient| {np.max(np.abs(self.gradient), initial=0.0):.3g}")
        lines += [f"  then: {step}" for step in self.tried]
        lines += [f"  warning: {message}" for message in self.warnings]
        return "\n".join(lines)
