"""asv settings shared by the benchmark modules."""


class Slow:
    """For fits of seconds to minutes: one fit per sample, no warm-up fit."""

    number = 1
    repeat = (1, 3, 120.0)
    rounds = 1
    warmup_time = 0.0
    timeout = 900
