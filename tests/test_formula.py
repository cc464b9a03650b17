"""parse_formula: lme4's formula syntax, read as R reads it.

Expected term orders and names are R's (``attr(terms(f), "term.labels")``,
``lme4::findbars``, ``deparse``), written here as data.
"""

import pytest

from sparselmm import FormulaError, SparseLMMError
from sparselmm.formula import deparse, parse_formula


def fixed_labels(text):
    """R's term.labels of the fixed part, e.g. ["a", "b", "a:b"]."""
    return [":".join(deparse(v) for v in term) for term in parse_formula(text).fixed.terms]


def random_parts(text):
    """Each random term as (intercept, [term labels], grouping factor name)."""
    return [
        (r.expr.intercept, [":".join(deparse(v) for v in t) for t in r.expr.terms], r.group_name)
        for r in parse_formula(text).random
    ]


# ------------------------------------------------------------------ fixed part


@pytest.mark.parametrize(
    "rhs, labels",
    [  # R's attr(terms(y ~ rhs), "term.labels")
        ("x", ["x"]),
        ("x + z", ["x", "z"]),
        ("z + x", ["z", "x"]),
        ("a*b", ["a", "b", "a:b"]),
        ("b:a + a", ["a", "b:a"]),
        ("a/b", ["a", "a:b"]),
        ("(a+b+c)^2", ["a", "b", "c", "a:b", "a:c", "b:c"]),
        ("x*z - x", ["z", "x:z"]),
        ("c + b:a + a*c", ["c", "a", "b:a", "c:a"]),
        ("a*b*c", ["a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]),
        ("x + x", ["x"]),
    ],
)
def test_fixed_terms_in_r_order(rhs, labels):
    assert fixed_labels(f"y ~ {rhs} + (1 | g)") == labels


@pytest.mark.parametrize(
    "text, intercept",
    [
        ("y ~ x + (1 | g)", True),
        ("y ~ 1 + x + (1 | g)", True),
        ("y ~ 0 + x + (1 | g)", False),
        ("y ~ x - 1 + (1 | g)", False),
        ("y ~ -1 + x + (1 | g)", False),
        ("y ~ x + 0 + (1 | g)", False),
    ],
)
def test_intercept(text, intercept):
    formula = parse_formula(text)
    assert formula.fixed.intercept is intercept
    assert fixed_labels(text) == ["x"]


def test_random_only_formula_keeps_the_intercept():
    formula = parse_formula("y ~ (1 | g)")
    assert formula.fixed.intercept is True
    assert formula.fixed.terms == ()


def test_transforms_and_backticks():
    assert fixed_labels("y ~ log(x) + I(x^2) + `my col` + sqrt(z + 1) + (1 | g)") == [
        "log(x)", "I(x^2)", "`my col`", "sqrt(z + 1)",
    ]
    assert parse_formula("y ~ `my col` + (1 | g)").columns() == ["y", "my col", "g"]


def test_unicode_names_need_no_backticks():
    formula = parse_formula("größe ~ länge + (1 | gruppe_ü)")
    assert formula.columns() == ["größe", "länge", "gruppe_ü"]
    assert fixed_labels("größe ~ länge + (1 | gruppe_ü)") == ["länge"]  # R: deparse keeps them bare


def test_columns_lists_each_variable_once():
    formula = parse_formula("Reaction ~ Days + log(Days) + (Days | Subject) + (1 | Subject:Night)")
    assert formula.columns() == ["Reaction", "Days", "Subject", "Night"]


# --------------------------------------------------------------- random part


@pytest.mark.parametrize(
    "bar, parts",
    [  # lme4::findbars(lme4:::expandDoubleVerts(y ~ bar)), in that order
        ("(1 | g)", [(True, [], "g")]),
        ("(x | g)", [(True, ["x"], "g")]),
        ("(1 + x | g)", [(True, ["x"], "g")]),
        ("(0 + x | g)", [(False, ["x"], "g")]),
        ("(x - 1 | g)", [(False, ["x"], "g")]),
        ("(1 + x || g)", [(True, [], "g"), (False, ["x"], "g")]),
        ("(x || g)", [(True, [], "g"), (False, ["x"], "g")]),
        ("(0 + x || g)", [(False, ["x"], "g")]),
        ("(x + z || g)", [(True, [], "g"), (False, ["x"], "g"), (False, ["z"], "g")]),
        ("(1 | a:b)", [(True, [], "a:b")]),
        ("(1 | a/b)", [(True, [], "b:a"), (True, [], "a")]),
        ("(1 | a/b/c)", [(True, [], "c:(b:a)"), (True, [], "b:a"), (True, [], "a")]),
        ("(1 + x || a/b)", [(True, [], "b:a"), (True, [], "a"), (False, ["x"], "b:a"), (False, ["x"], "a")]),
    ],
)
def test_random_terms_as_lme4_expands_them(bar, parts):
    assert random_parts(f"y ~ x + {bar}") == parts


def test_nested_grouping_reads_both_factors():
    (inner, outer) = parse_formula("y ~ (1 | a/b)").random
    assert [deparse(g) for g in inner.group] == ["b", "a"]
    assert [deparse(g) for g in outer.group] == ["a"]


def test_several_random_terms_keep_their_order():
    assert random_parts("y ~ x + (x | subject) + (1 | item) + (0 + z | subject)") == [
        (True, ["x"], "subject"), (True, [], "item"), (False, ["z"], "subject"),
    ]
    assert fixed_labels("y ~ x + (x | subject) + z + (1 | item)") == ["x", "z"]


# ------------------------------------------------------------------- deparse


@pytest.mark.parametrize(
    "text, r_text",
    [  # R's deparse(y ~ ...)
        ("y~a*b+(1|g)", "y ~ a * b + (1 | g)"),
        ("y ~ a/b + (1|g)", "y ~ a/b + (1 | g)"),
        ("y~(a+b+c)^2+(1|g)", "y ~ (a + b + c)^2 + (1 | g)"),
        ("y ~ log(x)+I(x^2)+`my col`+(1|g)", "y ~ log(x) + I(x^2) + `my col` + (1 | g)"),
        ("y~x-1+(1+x||g)", "y ~ x - 1 + (1 + x || g)"),
        ("y ~ 0+x+(1|a:b)", "y ~ 0 + x + (1 | a:b)"),
        ("Reaction ~ Days + (Days|Subject)", "Reaction ~ Days + (Days | Subject)"),
    ],
)
def test_deparse_gives_r_text(text, r_text):
    assert deparse(parse_formula(text).tree) == r_text


# ------------------------------------------------------------ malformed input


@pytest.mark.parametrize(
    "text, message",
    [
        ("y ~ x + (1 | g", "expected ')'"),
        ("y ~ x + 1 | g)", "unexpected ')'"),
        ("y ~ (x + (1 | g)", "expected ')'"),
        ("y x + (1 | g)", "unexpected 'x'"),
        ("x + (1 | g)", "needs a response, '~'"),
        ("~ x + (1 | g)", "has no response"),
        ("y ~ x ~ (1 | g)", "more than one '~'"),
        ("y ~ x", "no random-effects terms"),
        ("y ~ x + z:w", "no random-effects terms"),
        ("y ~ x + 1 | g", "in parentheses"),
        ("y ~ x $ z + (1 | g)", "position 6"),
        ("y ~ x + (1 | g) +", "end of formula"),
        ("y ~ 2 + (1 | g)", "the number 2"),
        ("y ~ (a + b)^x + (1 | g)", "whole number"),
        ("y ~ x + (1 | x + g)", "grouping factor 'x + g'"),
        ("y ~ (1 | g | h)", "'|'"),
        ("y ~ (1 | g) - 1", "has no terms"),
        ("", "non-empty string"),
        ("   ", "non-empty string"),
    ],
)
def test_malformed_formulas_raise_formula_error(text, message):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("value", [None, 3, ["y ~ x + (1 | g)"]])
def test_non_string_formula(value):
    with pytest.raises(FormulaError, match="non-empty string"):
        parse_formula(value)


def test_formula_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_formula("y ~ x")
    assert issubclass(FormulaError, SparseLMMError)


def test_malformed_message_quotes_the_formula():
    with pytest.raises(FormulaError) as caught:
        parse_formula("y ~ x + (1 | g")
    assert "'y ~ x + (1 | g'" in str(caught.value)
