"""Which BLAS pool gets the second core: chosen from the evaluations' own times."""

from sparselmm._threads import CORES, TRY_OTHER_EVERY, AdaptiveThreads, _blas_pools, blas_threads, kernel_threads


class Clock:
    """A clock that the evaluations below advance: no real time, so no noise."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def run(schedule, clock, evaluations, slow_setting):
    """Run evaluations that take 5 s in ``slow_setting`` and 1 s in the other; the settings chosen, in order."""
    chosen = []
    for _ in range(evaluations):
        with schedule.evaluation():
            chosen.append(schedule.lapack)
            clock.now += 5.0 if schedule.lapack == slow_setting else 1.0
    return chosen


def adaptive(lapack_heavy=True, cores=2):
    clock = Clock()
    return AdaptiveThreads(lapack_heavy, cores, clock=clock), clock


def test_lapack_keeps_its_threads_where_the_evaluations_run_faster_so():
    chosen = run(*adaptive(), 20, slow_setting=False)
    assert chosen[:3] == [True, False, True]  # both settings timed (the first evaluation is not counted)
    assert all(chosen[3:TRY_OTHER_EVERY]) and chosen[TRY_OTHER_EVERY] is False and chosen[TRY_OTHER_EVERY + 1]


def test_lapack_runs_on_one_thread_where_that_is_faster_and_the_other_setting_is_tried_again():
    schedule, clock = adaptive()
    chosen = run(schedule, clock, TRY_OTHER_EVERY + 2, slow_setting=True)
    assert chosen[:3] == [True, False, True]
    assert not any(chosen[3:TRY_OTHER_EVERY])
    assert chosen[TRY_OTHER_EVERY] is True and chosen[TRY_OTHER_EVERY + 1] is False
    with schedule.evaluation():  # our kernels take the second core exactly when LAPACK does not
        assert kernel_threads() == (1 if schedule.lapack else CORES)


def test_models_whose_work_is_not_lapacks_never_give_it_threads():
    for schedule, clock in (adaptive(lapack_heavy=False), adaptive(cores=1)):
        assert not any(run(schedule, clock, 4, slow_setting=False))


def test_nested_contexts_leave_the_outer_setting_and_then_the_original_one():
    pools, _ = _blas_pools()
    original = [pool.num_threads for pool in pools]
    with blas_threads(lapack=False):
        with blas_threads(lapack=False):
            assert all(pool.num_threads == 1 for pool in pools)
        assert all(pool.num_threads == 1 for pool in pools)
    assert [pool.num_threads for pool in pools] == original
