"""formula.dot, and the bars and fixed parts lme4 reads that R's term algebra alone would refuse:
``y ~ .`` (every other column), ``y ~ x | g`` (a bar without parentheses is the whole right-hand side)
and ``y ~ 0 + (1 | g)`` (no fixed effects)."""

import pytest

from sparselmm import FormulaError
from sparselmm.formula import TermList, deparse, expand_dot, has_dot, parse_formula

COLUMNS = ["y", "x1", "x2", "g"]


def fixed(formula):
    return [":".join(deparse(v) for v in term) for term in formula.fixed.terms]


@pytest.mark.parametrize("text, terms", [
    ("y ~ . + (1 | g)", ["x1", "x2", "g"]),  # the grouping column too, as R's terms(data = d)
    ("y ~ . - g + (1 | g)", ["x1", "x2"]),
    ("y ~ x1 + . + (1 | g)", ["x1", "x2", "g"]),
    ("log(y) ~ . + (1 | g)", ["x1", "x2", "g"]),
    ("y ~ .:x1 + (1 | g)", ["x1", "x1:x2", "x1:g"]),  # R 4.2.2 term.labels
])
def test_the_dot_is_every_column_the_response_does_not_read(text, terms):
    formula = expand_dot(parse_formula(text), COLUMNS)
    assert fixed(formula) == terms
    assert formula.text == text and deparse(formula.tree) == deparse(parse_formula(text).tree)  # printed with the dot


def test_a_formula_without_a_dot_is_unchanged():
    formula = parse_formula("y ~ x1 + (1 | g)")
    assert expand_dot(formula, COLUMNS) is formula and not has_dot(formula.tree.right)


def test_a_dot_with_no_other_column_is_refused():
    with pytest.raises(FormulaError, match="stands for the data's other columns, and there are none"):
        expand_dot(parse_formula("y ~ . + (1 | g)"), ["y"])


@pytest.mark.parametrize("text, expr_terms, intercept", [
    ("Yield ~ 1 | Batch", [], True),
    ("Reaction ~ Days | Subject", ["Days"], True),
    ("y ~ x1 + x2 | g", ["x1", "x2"], True),
    ("y ~ 0 + x1 | g", ["x1"], False),
])
def test_a_bar_without_parentheses_is_the_whole_right_hand_side(text, expr_terms, intercept):
    formula = parse_formula(text)
    assert formula.fixed == TermList(True, ())  # lme4 keeps a fixed intercept
    (term,) = formula.random
    assert [deparse(t[0]) for t in term.expr.terms] == expr_terms and term.expr.intercept == intercept


def test_no_fixed_effects():
    assert parse_formula("y ~ 0 + (1 | g)").fixed.empty
