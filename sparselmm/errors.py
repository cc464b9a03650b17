"""The exceptions and warnings sparselmm raises.

Every error a user can cause with a formula or a data frame is one of the two
exceptions below, with a message that names the column or term at fault and
says how to fix it. Both derive from ``ValueError`` so that code written for
other modelling libraries keeps catching them.
"""


class SparseLMMError(ValueError):
    """Base class of every error sparselmm raises on purpose."""


class FormulaError(SparseLMMError):
    """The formula is malformed or asks for something the data cannot give."""


class DataError(SparseLMMError):
    """The data cannot be fitted: missing columns, wrong types, too few rows or levels."""


class NoRowsError(DataError):
    """Every row has a missing value in a column the model uses (a chunk, a partition or new data may be
    so; callers that can carry on without them catch this)."""


class SparseLMMWarning(UserWarning):
    """Base class of sparselmm's warnings."""


class RankDeficiencyWarning(SparseLMMWarning):
    """Columns of the fixed-effects matrix were aliased and have been dropped."""


class ScaleWarning(SparseLMMWarning):
    """Predictors are on very different scales (lme4's check.scaleX): estimates may suffer; rescale them."""


class SingularFitWarning(SparseLMMWarning):
    """The fit lies on the boundary: a variance is zero or a correlation is +-1."""


class ConvergenceWarning(SparseLMMWarning):
    """The optimiser stopped without meeting its convergence criteria."""


class CheckWarning(SparseLMMWarning):
    """One of lme4's checks of the design failed, and ``control`` asked for a warning instead of an error."""
