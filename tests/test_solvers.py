"""The three solvers factor the same A(theta): the same log-determinant, solves, derivative blocks and inverse.

The dense solver is the textbook computation (A formed densely, LAPACK's Cholesky,
the full inverse); the blocked and CHOLMOD solvers must agree with it to rounding.
"""

import gc
import warnings
import weakref

import numpy as np
import pytest

import reference
import sparselmm as slmm
import sparselmm.crossprod
import sparselmm.spec
from sparselmm import BlockedSolver, CholmodSolver, DenseSolver, LinearMixedModel

SMALL = reference.case_ids(include_large=False)
SOLVERS = [BlockedSolver, CholmodSolver, DenseSolver]
DENSE_FIT_MAX_Q = 300  # a whole fit through a dense q x q factor: seconds below this, minutes above


def model_of(case_id):
    spec = reference.load_case(case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank_deficient_reml warns, as it should
        return LinearMixedModel.from_formula(spec["formula"], reference.data(case_id))


def random_theta(case_id, model, seed, zeros=0):
    """lme4's theta moved at random (its scale kept: A stays as well conditioned as at the fit), with ``zeros``
    template diagonal entries at their bound (a singular template)."""
    rng = np.random.default_rng(seed)
    lower = model.covariance.lower
    scale = np.abs(reference.theta(reference.load_case(case_id))) + 0.05 * np.abs(reference.theta(
        reference.load_case(case_id))).max()
    theta = scale * np.where(lower == 0, rng.uniform(0.5, 1.5, len(lower)), rng.uniform(-1.5, 1.5, len(lower)))
    theta[rng.permutation(np.flatnonzero(lower == 0))[:zeros]] = 0.0
    return theta


def dense_A(model, theta):
    Lambda = model.covariance.lambda_matrix(theta).toarray()
    return Lambda.T @ model.crossprods.ZtZ.toarray() @ Lambda + np.eye(Lambda.shape[0])


@pytest.mark.parametrize("case_id", SMALL)
@pytest.mark.parametrize("kind", SOLVERS)
def test_logdet_and_solves_are_those_of_A(case_id, kind):
    model = model_of(case_id)
    solver = kind().bind(model.crossprods, model.covariance)
    for seed, zeros in ((1, 0), (2, 1)):
        theta = random_theta(case_id, model, seed, zeros)
        A = dense_A(model, theta)
        solver.update(theta)
        assert solver.logdet() == pytest.approx(np.linalg.slogdet(A)[1], rel=1e-11, abs=1e-10)
        B = np.random.default_rng(seed).normal(size=(A.shape[0], 3))
        np.testing.assert_allclose(solver.solve(B), np.linalg.solve(A, B), rtol=1e-9, atol=1e-11)
        half = solver.solve_L(B)  # L^-1 P B: its squared norm is B' A^-1 B
        np.testing.assert_allclose(half.T @ half, B.T @ np.linalg.solve(A, B), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("case_id", SMALL)
@pytest.mark.parametrize("kind", SOLVERS)
def test_logdet_gradient_blocks_are_those_of_the_full_inverse(case_id, kind):
    """sum_j (A^-1 Lambda' Z'Z)_jj per term, at an inside point and on a bound. The sparse solver gives the
    entries [b, a], b <= a, that the gradient reads (from A^-1 on A's pattern) and zeros below them."""
    model = model_of(case_id)
    solver = kind().bind(model.crossprods, model.covariance)
    for seed, zeros in ((3, 0), (4, 1)):
        theta = random_theta(case_id, model, seed, zeros)
        A = dense_A(model, theta)
        product = np.linalg.solve(A, model.covariance.lambda_matrix(theta).toarray().T @ model.crossprods.ZtZ.toarray())
        blocks = solver.update(theta).logdet_gradient()
        start = 0
        for term, block in zip(model.covariance.terms, blocks):
            expected = np.einsum("lalb->ab", product[start:start + term.q, start:start + term.q].reshape(
                term.m, term.k, term.m, term.k))
            if kind is CholmodSolver:
                expected = np.triu(expected)
            np.testing.assert_allclose(block, expected, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(expected).max()))
            start += term.q


@pytest.mark.parametrize("case_id", SMALL)
@pytest.mark.parametrize("kind", SOLVERS)
def test_inverse_parts_are_those_of_the_dense_inverse(case_id, kind):
    model = model_of(case_id)
    theta = random_theta(case_id, model, 5)
    dense = np.linalg.inv(dense_A(model, theta))
    inverse = kind().bind(model.crossprods, model.covariance).update(theta).inverse()
    first = model.covariance.terms[0]
    for level in range(first.m):
        index = slice(level * first.k, (level + 1) * first.k)
        np.testing.assert_allclose(inverse.first_term_blocks[level], dense[index, index], rtol=1e-9, atol=1e-12)
    assert inverse.trace() == pytest.approx(np.trace(dense), rel=1e-9)
    if inverse.q2:
        np.testing.assert_allclose(inverse.S_inv, dense[first.q:, first.q:], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case_id", [c for c in SMALL if c != "latin_square_max_reml"])
def test_blocked_cholmod_and_dense_fits_agree(case_id):
    """Each solver's default fit reaches the same optimum. (Not the 72-parameter Latin square: its optimum is
    singular and flat. The dense solver, a q x q factor per evaluation, only where q is small.)"""
    spec = reference.load_case(case_id)
    fits = []
    small = sum(term.q for term in model_of(case_id).covariance.terms) <= DENSE_FIT_MAX_Q
    for kind in SOLVERS if small else (BlockedSolver, CholmodSolver):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.append(model_of(case_id).fit(REML=spec["REML"], solver=kind()))
    for other in fits[1:]:
        assert abs(other.objective - fits[0].objective) <= 1e-8 * abs(fits[0].objective)
        np.testing.assert_allclose(other.fixef, fits[0].fixef, rtol=1e-4, atol=1e-6 * np.abs(fits[0].fixef).max())


def test_a_spent_factor_is_refused():
    model = model_of("penicillin_reml")
    solver = BlockedSolver().bind(model.crossprods, model.covariance).update(np.array([1.0, 2.0]))
    solver.logdet_gradient()
    with pytest.raises(RuntimeError, match="holds A\\^-1"):
        solver.solve_L(np.ones((solver._blocks.q1 + solver._blocks.q2, 1)))
    solver.update(np.array([1.0, 2.0]))
    solver.solve_L(np.ones((solver._blocks.q1 + solver._blocks.q2, 1)))


def test_theta_zero_keeps_the_factor_pattern():
    """At theta = 0 every product entry vanishes; the fixed pattern must still factor."""
    model = model_of("sleepstudy_reml")
    values = [kind().bind(model.crossprods, model.covariance).update(np.zeros(3)).logdet() for kind in SOLVERS]
    assert values == [0.0, 0.0, 0.0]


def test_cholmod_reports_its_fill():
    model = model_of("penicillin_reml")
    solver = CholmodSolver().bind(model.crossprods, model.covariance).update(model.covariance.theta0)
    q = model.crossprods.ZtZ.shape[0]
    assert q <= solver.nnz_L() <= q * (q + 1) // 2


LATER_TERM_CASES = ["penicillin_reml", "crossed_slopes_reml", "slope_first_term_ml", "two_factors_reml",
                    "three_level_nested_reml", "uncorrelated_crossed_reml"]


@pytest.mark.parametrize("case_id", LATER_TERM_CASES)
def test_the_blocked_factor_is_the_same_with_its_coupling_dense_or_level_by_level(case_id):
    """The later block G - sum_j C_j' D_j C_j comes from one BLAS rank update where C is dense enough, else from
    the pair kernel; each path, forced, gives the factor of the dense A."""
    model = model_of(case_id)
    theta = random_theta(case_id, model, 8)
    A = dense_A(model, theta)
    B = np.random.default_rng(8).normal(size=(A.shape[0], 2))
    for dense in (True, False):
        solver = BlockedSolver().bind(model.crossprods, model.covariance)
        blocks = solver._blocks
        blocks.C_dense = blocks.layout.dense(blocks.layout.values) if dense else None
        solver.update(theta)
        assert solver.logdet() == pytest.approx(np.linalg.slogdet(A)[1], rel=1e-11, abs=1e-10)
        np.testing.assert_allclose(solver.solve(B), np.linalg.solve(A, B), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("case_id", LATER_TERM_CASES + ["latin_square_reml"])
def test_a_later_terms_gradient_is_the_same_with_its_template_singular_or_not(case_id):
    """A later term's block is read from S^-1's diagonal blocks where its template is invertible, and from the
    products of S^-1 with G where it is singular; either way it is that of the full inverse."""
    model = model_of(case_id)
    last = model.covariance.terms[-1]
    theta = random_theta(case_id, model, 9)
    for singular in (False, True):
        if singular:  # the last term's first diagonal entry on its bound
            theta[model.covariance.offsets[len(model.covariance.terms) - 1]] = 0.0
        A = dense_A(model, theta)
        product = np.linalg.solve(A, model.covariance.lambda_matrix(theta).toarray().T @ model.crossprods.ZtZ.toarray())
        block = BlockedSolver().bind(model.crossprods, model.covariance).update(theta).logdet_gradient()[-1]
        rows = product[-last.q:, -last.q:].reshape(last.m, last.k, last.m, last.k)
        expected = np.einsum("lalb->ab", rows)
        np.testing.assert_allclose(block, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


def test_the_default_solver_is_blocked_unless_the_later_terms_are_too_wide():
    model = model_of("penicillin_reml")
    assert isinstance(model.default_solver(), BlockedSolver)
    assert not BlockedSolver(max_dense=5).fits(model.crossprods, model.covariance)
    assert BlockedSolver(max_dense=6).fits(model.crossprods, model.covariance)  # 6 samples after 24 plates


@pytest.mark.parametrize("kind", SOLVERS)
def test_new_products_on_the_same_pattern_factor_as_a_fresh_solver(kind):
    """A GLMM's PIRLS step: Z'WZ with new weights factored on the structure already analysed."""
    model = model_of("crossed_slopes_reml")
    rng = np.random.default_rng(6)
    coded = model.design.coded
    weighted = slmm.spec.CodedRows(coded.X, coded.y, coded.codes, coded.matrices, coded.rows, coded.n_dropped,
                                   weights=rng.uniform(0.2, 3.0, coded.nobs))
    products = slmm.crossprod.CrossProducts.from_rows(weighted, model.design.terms)
    theta = random_theta("crossed_slopes_reml", model, 7)
    reused = kind().bind(model.crossprods, model.covariance).with_products(products).update(theta)
    fresh = kind().bind(products, model.covariance).update(theta)
    assert reused.logdet() == pytest.approx(fresh.logdet(), rel=1e-13)
    B = rng.normal(size=(model.crossprods.ZtZ.shape[0], 2))
    np.testing.assert_allclose(reused.solve(B), fresh.solve(B), rtol=1e-11, atol=1e-13)


def test_a_step_in_later_terms_only_reuses_G_and_gives_the_fresh_factor():
    """G depends on the first term's template alone; after a step in later terms' parameters only (a Hessian's
    difference), the factor built on the G already held is that of a fresh solver, also when another solver
    on the same work arrays (a GLMM's Z'WZ at a new PIRLS step) factored in between."""
    model = model_of("crossed_slopes_reml")
    theta = random_theta("crossed_slopes_reml", model, 10)
    later = theta.copy()
    later[model.covariance.offsets[1]:] *= 1.3
    solver = BlockedSolver().bind(model.crossprods, model.covariance)
    coded = model.design.coded
    weighted = slmm.spec.CodedRows(coded.X, coded.y, coded.codes, coded.matrices, coded.rows, coded.n_dropped,
                                   weights=np.random.default_rng(10).uniform(0.2, 3.0, coded.nobs))
    products = slmm.crossprod.CrossProducts.from_rows(weighted, model.design.terms)
    B = np.random.default_rng(10).normal(size=(model.crossprods.ZtZ.shape[0], 2))
    for other in (None, products):
        first = solver.with_products(model.crossprods)
        first.update(theta)
        if other is not None:  # the same T1 on the same arrays, other values
            between = solver.with_products(other).update(theta)
            assert between.logdet() == pytest.approx(BlockedSolver().bind(other, model.covariance).update(
                theta).logdet(), rel=1e-13)
        first.update(later)
        fresh = BlockedSolver().bind(model.crossprods, model.covariance).update(later)
        assert first.logdet() == pytest.approx(fresh.logdet(), rel=1e-13)
        np.testing.assert_allclose(first.solve(B), fresh.solve(B), rtol=1e-11, atol=1e-13)


def test_a_dropped_solver_frees_its_work_arrays_at_once():
    """No reference cycle keeps the dense work arrays (two q2 x q2) alive until the garbage collector runs:
    repeated fits would otherwise grow the memory by a fit's arrays each."""
    model = model_of("crossed_slopes_reml")
    solver = BlockedSolver().bind(model.crossprods, model.covariance)
    solver.update(random_theta("crossed_slopes_reml", model, 11)).logdet_gradient()
    blocks = weakref.ref(solver._blocks)
    gc.disable()
    try:
        del solver
        assert blocks() is None
    finally:
        gc.enable()


def test_a_formation_of_G_that_stops_part_way_leaves_no_claim_on_the_buffer(monkeypatch):
    """An interrupt inside the pair sums (Ctrl-C during a long fit) must not leave G recorded as the previous
    template's: the next factor at that template forms G again and is the fresh solver's."""
    import sparselmm.solvers.blocked as blocked

    model = model_of("crossed_slopes_reml")
    before = random_theta("crossed_slopes_reml", model, 12)
    other = before.copy()
    other[: model.covariance.offsets[1]] *= 1.2  # another first-term template
    solver = BlockedSolver().bind(model.crossprods, model.covariance)
    solver._blocks.C_dense = None  # the pair kernel's path
    solver.update(before)

    def interrupted(*args):
        args[5][:] = 0.0  # the kernel had written into G
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(blocked._kernels, "level_syrk", interrupted)
        with pytest.raises(KeyboardInterrupt):
            solver.update(other)
    expected = BlockedSolver().bind(model.crossprods, model.covariance).update(before).logdet()
    assert solver.update(before).logdet() == pytest.approx(expected, rel=1e-13)
