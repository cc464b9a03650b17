"""formula.tokenizer: formula text to (kind, text) tokens, as R's lexer splits it.

What counts as one token is R's: syntactic names (any script, ``.`` and ``_``
inside), backticked names, numbers such as ``1.``, ``.5`` and ``2.5e-3``,
``%op%`` operators, ``||`` as one operator and ``**`` read as ``^``.
"""

import pytest

from sparselmm import FormulaError
from sparselmm.formula import parse_formula
from sparselmm.formula.tokenizer import tokenize


def name(text):
    return ("name", text)


def op(text):
    return ("op", text)


def number(text):
    return ("number", text)


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("y ~ x + (1 | g)", [name("y"), op("~"), name("x"), op("+"), op("("), number("1"), op("|"), name("g"), op(")")]),
        ("y~x**2", [name("y"), op("~"), name("x"), op("^"), number("2")]),
        ("`my col` + x", [name("my col"), op("+"), name("x")]),
        ("a %in% b", [name("a"), op("%in%"), name("b")]),
        ("a%%b", [name("a"), op("%%"), name("b")]),
        ("a||b", [name("a"), op("||"), name("b")]),
        ("a | | b", [name("a"), op("|"), op("|"), name("b")]),
        (
            "1. + .5 + 2.5e-3 + 1E+4 + 10",
            [number("1."), op("+"), number(".5"), op("+"), number("2.5e-3"), op("+"), number("1E+4"), op("+"), number("10")],
        ),
        ("größe:länge", [name("größe"), op(":"), name("länge")]),
        ("x.1 + ._a + x_y", [name("x.1"), op("+"), name("._a"), op("+"), name("x_y")]),
        ("  a  ", [name("a")]),
        ("log(x, 2)", [name("log"), op("("), name("x"), op(","), number("2"), op(")")]),
        ("2x", [number("2"), name("x")]),  # R reads a number, then a name
        (".2x", [number(".2"), name("x")]),
        ("-1", [op("-"), number("1")]),
        ("a/b^c", [name("a"), op("/"), name("b"), op("^"), name("c")]),
        ("", []),
    ],
)
def test_tokens(text, tokens):
    assert tokenize(text) == tokens


@pytest.mark.parametrize(
    "text, position, rest",
    [  # position: of the first character the tokenizer cannot read; rest: up to ten characters from there
        ("y ~ x $ z + (1 | g)", 6, "$ z + (1 |"),
        ("y ~ x & z + (1|g)", 6, "& z + (1|g"),
        ("y ~ `x + (1|g)", 4, "`x + (1|g)"),
        ("y ~ _x + (1|g)", 4, "_x + (1|g)"),
        ("y ~ x[1] + (1|g)", 5, "[1] + (1|g"),
        ("y ~ x ? z + (1|g)", 6, "? z + (1|g"),
        ("y ~ x + (1 | g)   !", 18, "!"),
    ],
)
def test_unreadable_text_is_reported_with_its_position(text, position, rest):
    message = (
        f"cannot read the formula {text!r} at position {position}: {rest!r}. "
        "Quote unusual column names with backticks, e.g. `my column`."
    )
    for read in (tokenize, parse_formula):
        with pytest.raises(FormulaError) as caught:
            read(text)
        assert str(caught.value) == message


@pytest.mark.parametrize("text, message", [("y ~ x $ z + (1 | g)", "position 6")])
def test_malformed_formulas_raise_formula_error(text, message):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert message in str(caught.value)
