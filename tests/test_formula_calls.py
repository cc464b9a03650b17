"""Calls in formulas as R writes them: strings, named arguments, R's constants and ``pkg::f``; read,
then deparsed back character for character (the coefficient names depend on it)."""

import pytest

from sparselmm.formula import Call, Constant, Keyword, Name, Number, String, deparse, names_in, parse_formula
from sparselmm.formula.parser import parse
from sparselmm.formula.tokenizer import tokenize


@pytest.mark.parametrize("text, tokens", [
    ('relevel(f, "C")', [("name", "relevel"), ("op", "("), ("name", "f"), ("op", ","), ("string", "C"), ("op", ")")]),
    ("f('a b')", [("name", "f"), ("op", "("), ("string", "a b"), ("op", ")")]),
    (r'f("say \"hi\"")', [("name", "f"), ("op", "("), ("string", 'say "hi"'), ("op", ")")]),
    ("splines::ns(x)", [("name", "splines::ns"), ("op", "("), ("name", "x"), ("op", ")")]),
    ("poly(x, raw = TRUE)", [("name", "poly"), ("op", "("), ("name", "x"), ("op", ","), ("name", "raw"), ("op", "="),
                             ("name", "TRUE"), ("op", ")")]),
])
def test_tokens(text, tokens):
    assert tokenize(text) == tokens


@pytest.mark.parametrize("text, tree", [
    ('relevel(f, "C")', Call("relevel", (Name("f"), String("C")))),
    ("poly(x, 2, raw = TRUE)", Call("poly", (Name("x"), Number(2.0), Keyword("raw", Constant("TRUE"))))),
    ("ns(x, knots = c(3, 6))", Call("ns", (Name("x"), Keyword("knots", Call("c", (Number(3.0), Number(6.0))))))),
    ("splines::ns(x, df = 3)", Call("splines::ns", (Name("x"), Keyword("df", Number(3.0))))),
])
def test_calls_parse_to_their_trees(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize("text", [
    'relevel(Machine, "C")', "poly(Days, 2, raw = TRUE)", "splines::ns(Days, df = 3)", "ns(Days, knots = c(3, 6))",
    'dummy(Machine, "B")', 'f("a\\"b")', "g(x, NA, NULL, Inf, FALSE)",
])
def test_deparse_writes_calls_as_r(text):
    assert deparse(parse(text)) == text


def test_strings_constants_and_argument_names_are_not_columns():
    formula = parse_formula('y ~ relevel(f, "C") + poly(x, 2, raw = TRUE) + (1 | g)')
    assert formula.columns() == ["y", "f", "x", "g"]
    assert names_in(parse("f(x, level = z)")) == ["x", "z"]
