"""formula.parser: tokens to a syntax tree, with R's operator precedence.

Each expected tree is R's own parse of the text, written as a call's list of
function and arguments: ``(`+` a (`:` b c))`` is what R prints for
``lisp(str2lang("a + b:c"))`` with

    lisp <- function(e) {
        if (is.call(e)) return(paste0("(", paste(sapply(as.list(e), lisp), collapse = " "), ")"))
        if (is.name(e) && make.names(e) != as.character(e)) return(paste0("`", e, "`"))
        deparse(e)
    }

Parentheses are the call ``(`(` ...)`` there, and a Paren node here.
"""

import pytest

from sparselmm import FormulaError
from sparselmm.formula import BinOp, Call, Number, Paren, Unary, deparse, parse_formula
from sparselmm.formula.parser import parse


def lisp(node):
    """The tree as R's list form of a call."""
    if isinstance(node, BinOp):
        return f"(`{node.op}` {lisp(node.left)} {lisp(node.right)})"
    if isinstance(node, Unary):
        return f"(`{node.op}` {lisp(node.operand)})"
    if isinstance(node, Paren):
        return f"(`(` {lisp(node.inner)})"
    if isinstance(node, Call):
        return "(" + " ".join([node.func] + [lisp(a) for a in node.args]) + ")"
    return deparse(node)


@pytest.mark.parametrize(
    "text, r_tree",
    [  # R: lisp(str2lang(text))
        ("a + b:c", "(`+` a (`:` b c))"),
        ("a*b + c", "(`+` (`*` a b) c)"),
        ("a + b*c", "(`+` a (`*` b c))"),
        ("a/b/c", "(`/` (`/` a b) c)"),
        ("a - b - c", "(`-` (`-` a b) c)"),
        ("a * b / c", "(`/` (`*` a b) c)"),
        ("-a:b", "(`:` (`-` a) b)"),
        ("-a^2", "(`-` (`^` a 2))"),
        ("a^b^c", "(`^` a (`^` b c))"),
        ("a^-1", "(`^` a (`-` 1))"),
        ("a:b^2", "(`:` a (`^` b 2))"),
        ("a %in% b:c", "(`%in%` a (`:` b c))"),
        ("a*b %in% c", "(`*` a (`%in%` b c))"),
        ("a %in% b %in% c", "(`%in%` (`%in%` a b) c)"),
        ("1 + x | g", "(`|` (`+` 1 x) g)"),
        ("a || b | c", "(`|` (`||` a b) c)"),
        ("y ~ x + (1 | g)", "(`~` y (`+` x (`(` (`|` 1 g))))"),
        ("y ~ x + (1 + x || g)", "(`~` y (`+` x (`(` (`||` (`+` 1 x) g))))"),
        ("x**2", "(`^` x 2)"),
        ("log(x + 1)", "(log (`+` x 1))"),
        ("f(a, b*c)", "(f a (`*` b c))"),
        ("`my col`:x", "(`:` `my col` x)"),
        ("--x", "(`-` (`-` x))"),
        ("+x", "(`+` x)"),
        ("a - -b", "(`-` a (`-` b))"),
        ("y ~ -1 + x", "(`~` y (`+` (`-` 1) x))"),
        ("(a + b)^2", "(`^` (`(` (`+` a b)) 2)"),
        ("a:b:c", "(`:` (`:` a b) c)"),
        ("(a)", "(`(` a)"),
        ("I(x^2)", "(I (`^` x 2))"),
        ("y ~ 0 + x", "(`~` y (`+` 0 x))"),
        ("f()", "(f)"),
        ("a*(b + c)", "(`*` a (`(` (`+` b c)))"),
        ("a/b*c", "(`*` (`/` a b) c)"),
        ("a|b+c", "(`|` a (`+` b c))"),
        ("y ~ a | b", "(`~` y (`|` a b))"),
    ],
)
def test_operators_bind_as_in_r(text, r_tree):
    assert lisp(parse(text)) == r_tree


@pytest.mark.parametrize(
    "text, number",
    [("1", 1.0), ("2.5e-3", 0.0025), (".5", 0.5), ("1.", 1.0), ("1E+4", 10000.0)],
)
def test_numbers_are_read_as_floats(text, number):
    assert parse(text) == Number(number)


def test_the_tree_of_a_formula_is_kept():
    text = "y ~ log(x + 1) + (1 | g)"
    assert parse_formula(text).tree == parse(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("y ~ x + (1 | g", "expected ')'"),
        ("y ~ x + 1 | g)", "unexpected ')'"),
        ("y ~ (x + (1 | g)", "expected ')'"),
        ("y x + (1 | g)", "unexpected 'x'"),
        ("y ~ x + (1 | g) +", "end of formula"),
    ],
)
def test_malformed_formulas_raise_formula_error(text, message):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "text, what",
    [  # the whole message: "malformed formula <text>: <what>"
        ("y ~ x + (1 | g", "expected ')' but found 'the end'"),
        ("y ~ x + 1 | g)", "unexpected ')'"),
        ("y x + (1 | g)", "unexpected 'x'"),
        ("y ~ x + (1 | g) +", "unexpected 'end of formula'"),
        ("y ~ log(x + (1|g)", "expected ')' but found 'the end'"),
        ("y ~ f(x,) + (1|g)", "unexpected ')'"),
        ("y ~ () + (1|g)", "unexpected ')'"),
        # R parses the next two; here parentheses hold no '~' and a call's arguments no '|'
        ("y ~ x + (1 | g) + (1 | h ~ k)", "expected ')' but found '~'"),
        ("y ~ I(a | b) + (1 | g)", "expected ')' but found '|'"),
        ("y ~ x + (1 | g)(2)", "unexpected '('"),
        ("y ~ 2x + (1 | g)", "unexpected 'x'"),
    ],
)
def test_parse_errors_name_what_is_wrong(text, what):
    for read in (parse, parse_formula):
        with pytest.raises(FormulaError) as caught:
            read(text)
        assert str(caught.value) == f"malformed formula {text!r}: {what}"


def test_malformed_message_quotes_the_formula():
    with pytest.raises(FormulaError) as caught:
        parse_formula("y ~ x + (1 | g")
    assert "'y ~ x + (1 | g'" in str(caught.value)
