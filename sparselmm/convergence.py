"""lme4's convergence checks at the end of a fit, and the steps that finish a fit they find unfinished.

After the optimizer stops, lme4 (``checkConv``) looks at the criterion around
the solution: unless the fit is singular, a scaled gradient
max(min(|H^-1/2 g|, |g|)) above 0.002 means the optimizer stopped short, and
the Hessian's eigenvalues flag degenerate or nearly unidentifiable models. lme4
finds g and H by central differences of the criterion (2 t^2 + 1 evaluations for
t parameters) at every size; where the exact gradient is at hand, g is exact and
H is the forward difference of g (t evaluations), or the central one where that
could change a verdict.

Where lme4 would warn that the fit failed to converge, the fit is finished
instead: Newton steps inside the bounds (with the exact gradient), then a restart
of the optimizer from the best point; a gradient optimizer's fit is always ended
by Newton steps (sparselmm.fitting). A warning remains only if the check still
fails, and it says what was tried. An optimizer's own complaint (L-BFGS-B's
"ABNORMAL" line search) at a point whose gradient passes the check is not a
failure.
"""

from __future__ import annotations

import numpy as np

GRADIENT_TOL = 2e-3  # lme4's check.conv.grad
HESSIAN_TOL = 1e-6  # lme4's check.conv.hess
STEP = 1e-4  # lme4's deriv12 delta
NEWTON_STEPS = 8
FTOL = 1e-8  # lme4's ftol_abs: the criterion change below which a fit is done


def derivatives(objective, x: np.ndarray, fx: float, delta: float = STEP) -> tuple[np.ndarray, np.ndarray]:
    """lme4's deriv12: gradient (t,) and Hessian (t, t) by central differences of the criterion."""
    t = len(x)
    gradient, hessian = np.zeros(t), np.zeros((t, t))
    step = np.eye(t) * delta
    for j in range(t):
        f_add, f_sub = objective(x + step[j]), objective(x - step[j])
        hessian[j, j] = (f_add - 2 * fx + f_sub) / delta**2
        gradient[j] = (f_add - f_sub) / (2 * delta)
        for i in range(j):
            corners = [objective(x + si * step[i] + sj * step[j]) for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            hessian[i, j] = hessian[j, i] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * delta**2)
    return gradient, hessian


def hessian_of(gradient_at, x: np.ndarray, gradient: np.ndarray, delta: float = STEP,
               gradient_from=None) -> np.ndarray:
    """H (t, t) from the exact gradient (``gradient`` is the one at x), accurate enough for lme4's checks.

    Forward differences first (t evaluations, error of order delta times the third derivative): column j
    from entries j, j + 1, ... of the gradient at x + delta e_j, the entries above it from the earlier
    columns (H is symmetric), so ``gradient_from(x, j)``, where given, need be exact only in those (the
    blocked factor then skips the first term's part for the later terms' columns). Where that could change
    a check's verdict (an eigenvalue near lme4's thresholds, or a scaled gradient near its tolerance),
    central differences (t more evaluations, error of order delta^2), as lme4's own.
    """
    partial = gradient_from or (lambda y, j: gradient_at(y))
    t = len(x)
    lower = np.zeros((t, t))
    for j in reversed(range(t)):  # the last parameters first: their steps leave the first term's part of the factor
        lower[j:, j] = (partial(x + delta * np.eye(t)[j], j)[j:] - gradient[j:]) / delta
    forward = lower + np.tril(lower, -1).T
    if not _near_a_threshold(forward, gradient):
        return forward
    columns = [(gradient_at(x + delta * e) - gradient_at(x - delta * e)) / (2 * delta) for e in np.eye(len(x))]
    return _symmetric(np.array(columns).T)


def _symmetric(H: np.ndarray) -> np.ndarray:
    return (H + H.T) / 2.0


def _near_a_threshold(hessian: np.ndarray, gradient: np.ndarray, margin: float = 1e-2) -> bool:
    """Whether a forward-difference Hessian is too close to one of the checks' thresholds to decide them."""
    if not np.all(np.isfinite(hessian)):
        return True
    eigenvalues = np.linalg.eigvalsh(hessian)
    error = margin * max(np.abs(eigenvalues).max(), 1.0)
    if eigenvalues.min() < HESSIAN_TOL + error:  # negative, zero or small: decided by central differences
        return True
    if abs(np.log(eigenvalues.max() * HESSIAN_TOL)) < 1.0 or abs(np.log(eigenvalues.min() / eigenvalues.max()
                                                                      / HESSIAN_TOL)) < 1.0:
        return True
    if np.abs(gradient).max() > GRADIENT_TOL:
        scaled = scaled_gradient(gradient, hessian)
        return scaled is None or abs(np.max(np.minimum(np.abs(scaled), np.abs(gradient))) / GRADIENT_TOL - 1) < 0.5
    return False


def scaled_gradient(gradient: np.ndarray, hessian: np.ndarray) -> np.ndarray | None:
    """R^-T g with R'R = H (R's solve(chol(H), g)), or None where H is not positive definite."""
    try:
        upper = np.linalg.cholesky(hessian).T
    except np.linalg.LinAlgError:
        return None
    scaled = np.linalg.solve(upper, gradient)
    return scaled if np.all(np.isfinite(scaled)) else None


def gradient_messages(gradient: np.ndarray, hessian: np.ndarray) -> list[str]:
    """lme4's scaled-gradient check."""
    if not np.all(np.isfinite(gradient)):
        return ["Gradient contains NAs"]
    scaled = scaled_gradient(gradient, hessian)
    if scaled is None:
        return ["unable to evaluate scaled gradient"]
    smallest = np.minimum(np.abs(scaled), np.abs(gradient))
    if smallest.max() > GRADIENT_TOL:
        return [f"Model failed to converge with max|grad| = {smallest.max():.6g} "
                f"(tol = {GRADIENT_TOL:g}, component {int(np.argmax(smallest)) + 1})"]
    return []


def hessian_messages(hessian: np.ndarray, tol: float = HESSIAN_TOL) -> list[str]:
    """lme4's checkHess: negative, zero or badly spread eigenvalues of the Hessian."""
    if not np.all(np.isfinite(hessian)):
        return ["Problem with Hessian check (infinite or missing values?)"]
    eigenvalues = np.linalg.eigvalsh(hessian)
    negative = int(np.sum(eigenvalues < -tol))
    if negative:
        return [f"Model failed to converge: degenerate Hessian with {negative} negative eigenvalues"]
    if np.any(np.abs(eigenvalues) < tol):
        return ["Hessian is numerically singular: parameters are not uniquely determined"]
    messages = []
    if eigenvalues.max() * tol > 1:
        messages.append("Model is nearly unidentifiable: very large eigenvalue - Rescale variables?")
    if eigenvalues.min() / eigenvalues.max() < tol:
        messages.append("Model is nearly unidentifiable: large eigenvalue ratio - Rescale variables?")
    return messages


def newton_direction(gradient: np.ndarray, hessian: np.ndarray, x: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """A descent step -H^-1 g over the coordinates not held at their bound (where the gradient pushes out).

    Eigenvalues of H are floored at a small positive fraction of the largest, so
    that a Hessian that is not positive definite still gives a descent direction.
    """
    free = ~((x <= lower) & (gradient > 0))
    step = np.zeros_like(x)
    if not free.any():
        return step
    values, vectors = np.linalg.eigh(hessian[np.ix_(free, free)])
    floor = max(np.abs(values).max(), 1e-300) * 1e-8
    values = np.maximum(np.abs(values), floor)
    step[free] = -vectors @ ((vectors.T @ gradient[free]) / values)
    return step


def newton_polish(value_and_gradient, gradient_at, x: np.ndarray, fx: float, gradient: np.ndarray,
                  hessian: np.ndarray, lower: np.ndarray, passes) -> tuple:
    """Projected Newton steps with halving, until ``passes(g, H)`` and the Newton decrement g'H^-1 g / 2 is
    below lme4's ftol_abs (1e-8), or the criterion stops decreasing. The Hessian is differenced again after a
    step longer than the difference step; after a shorter one the old one is kept: it differs from the new
    point's by the step times the third derivative, less than a forward difference's own error.

    Returns (x, fx, gradient, hessian, steps taken).
    """
    steps = 0
    for _ in range(NEWTON_STEPS):
        direction = newton_direction(gradient, hessian, x, lower)
        if passes(gradient, hessian) and -gradient @ direction / 2.0 < FTOL:
            break
        for halving in range(30):
            trial = np.maximum(x + direction * 0.5**halving, lower)
            f_trial, g_trial = value_and_gradient(trial)
            if f_trial < fx:
                break
        else:
            break
        moved = np.max(np.abs(trial - x))
        x, fx, gradient = trial, f_trial, g_trial
        if moved > STEP:
            hessian = hessian_of(gradient_at, x, gradient)
        steps += 1
    return x, fx, gradient, hessian, steps
