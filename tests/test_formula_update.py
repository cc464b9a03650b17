"""formula.update: R's update.formula on lme4 formulas, table-driven with R's answers (R 4.2.2's
``deparse(update(old, new))``)."""

import pytest

from sparselmm import FormulaError
from sparselmm.formula.update import update_formula

R_ANSWERS = [
    ("Reaction ~ Days + (1 | Subject)", ". ~ . + x", "Reaction ~ Days + (1 | Subject) + x"),
    ("Reaction ~ Days + (1 | Subject)", ". ~ . - (1 | Subject) + (1 + Days | Subject)",
     "Reaction ~ Days + (1 + Days | Subject)"),
    ("y ~ a*b + (1|g)", ". ~ . - a:b", "y ~ a + b + (1 | g)"),
    ("y ~ a + (1|g)", "log(.) ~ . - 1", "log(y) ~ a + (1 | g) - 1"),
    ("y ~ a + (1|g)", "~ . + offset(o)", "y ~ a + (1 | g) + offset(o)"),
    ("Yield ~ 1 | Batch", ". ~ . + x", "Yield ~ (1 | Batch) + x"),
    ("y ~ a + b + (1|g)", ". ~ . - a", "y ~ b + (1 | g)"),
    ("y ~ x + (x || g)", ". ~ . + z", "y ~ x + (x || g) + z"),
    ("y ~ x + (1|g)", "z ~ .", "z ~ x + (1 | g)"),
    ("y ~ x + (1|g)", ". ~ 0 + .", "y ~ x + (1 | g) - 1"),
    ("y ~ x + (1|g)", ". ~ (1|h)", "y ~ (1 | h)"),
    ("y ~ x + I(x^2) + (1|g)", ". ~ . - I(x^2)", "y ~ x + (1 | g)"),
]


@pytest.mark.parametrize("old, new, r", R_ANSWERS)
def test_update_formula_is_rs(old, new, r):
    assert update_formula(old, new) == r


@pytest.mark.parametrize("new, message", [("", "non-empty string"), (". + x", "is not a formula: it needs '~'")])
def test_a_new_formula_needs_a_tilde(new, message):
    with pytest.raises(FormulaError, match=message):
        update_formula("y ~ x + (1 | g)", new)
