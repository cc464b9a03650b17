"""formula.model_formula: parse_formula on the whole formula, response ~ fixed part + bars.

What only the whole formula can get wrong (no text, no response, a second
``~``, no random-effects term) and what it reads from the data: the columns,
each once: the response's, the fixed part's, then the random terms'.
"""

import pytest

from sparselmm import FormulaError, SparseLMMError
from sparselmm.formula import Call, Formula, Name, deparse, parse_formula


@pytest.mark.parametrize(
    "text, columns",
    [  # R's all.vars(formula) for the first three
        ("Reaction ~ Days + log(Days) + (Days | Subject) + (1 | Subject:Night)", ["Reaction", "Days", "Subject", "Night"]),
        ("y ~ `my col` + (1 | g)", ["y", "my col", "g"]),
        ("größe ~ länge + (1 | gruppe_ü)", ["größe", "länge", "gruppe_ü"]),
        # the fixed part's columns before the bars' (all.vars: y, g, z, w)
        ("y ~ (1 | g) + z:w", ["y", "z", "w", "g"]),
        # a nesting's columns as its first term b:a reads them (all.vars: y, x, a, b)
        ("log(y) ~ x + (1 | a/b)", ["y", "x", "b", "a"]),
    ],
)
def test_columns_lists_each_variable_once(text, columns):
    assert parse_formula(text).columns() == columns


def test_a_formula_keeps_its_text_response_and_tree():
    text = "log(y) ~ x + (1 | g)"
    formula = parse_formula(text)
    assert isinstance(formula, Formula)
    assert formula.text == text
    assert formula.response == Call("log", (Name("y"),))
    assert deparse(formula.tree) == "log(y) ~ x + (1 | g)"
    assert len(formula.random) == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("x + (1 | g)", "needs a response, '~'"),
        ("~ x + (1 | g)", "has no response"),
        ("y ~ x ~ (1 | g)", "more than one '~'"),
        ("y ~ x", "no random-effects terms"),
        ("y ~ x + z:w", "no random-effects terms"),
        ("", "non-empty string"),
        ("   ", "non-empty string"),
    ],
)
def test_malformed_formulas_raise_formula_error(text, message):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert message in str(caught.value)


NO_BARS = (
    "has no random-effects terms; add one such as '(1 | group)' "
    "(for a model without random effects use an ordinary linear model)"
)


@pytest.mark.parametrize(
    "text, message",
    [  # the whole message
        ("x + (1 | g)", "malformed formula 'x + (1 | g)': it needs a response, '~' and terms, as in 'y ~ x + (1 | g)'"),
        ("~ x + (1 | g)", "the formula '~ x + (1 | g)' has no response: write it before '~', as in 'y ~ x + (1 | g)'"),
        ("  ~ x + (1 | g)", "the formula '  ~ x + (1 | g)' has no response: write it before '~', as in 'y ~ x + (1 | g)'"),
        ("y ~ x ~ (1 | g)", "malformed formula 'y ~ x ~ (1 | g)': more than one '~'"),
        ("y ~ x + (1 | g) ~ z", "malformed formula 'y ~ x + (1 | g) ~ z': more than one '~'"),
        ("y ~ x", f"the formula 'y ~ x' {NO_BARS}"),
        ("y ~ x + z:w", f"the formula 'y ~ x + z:w' {NO_BARS}"),
        ("y ~ -(1|g)", f"the formula 'y ~ -(1|g)' {NO_BARS}"),
        ("", "the formula must be a non-empty string such as 'y ~ x + (1 | g)'"),
    ],
)
def test_whole_formula_errors(text, message):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("value", [None, 3, ["y ~ x + (1 | g)"]])
def test_non_string_formula(value):
    with pytest.raises(FormulaError, match="non-empty string"):
        parse_formula(value)


def test_formula_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_formula("y ~ x")
    assert issubclass(FormulaError, SparseLMMError)
