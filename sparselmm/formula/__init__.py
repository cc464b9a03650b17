"""lme4's formula syntax, parsed into a response, fixed terms and random-effects terms.

The grammar is R's, restricted to what model formulas use. Operators bind as
in R, loosest first: ``~``; ``|`` and ``||``; ``+`` and ``-``; ``*`` and
``/``; ``%%``-style operators; ``:``; unary minus; ``^``. Inside a function
call (``log(x + 1)``, ``I(x^2)``) the operators are arithmetic; at the top
level they combine model terms as R's ``terms()`` does:

    a + b      both terms            a:b      their interaction
    a * b      a + b + a:b           a / b    a + a:b (b nested in a)
    (a + b)^2  all interactions up to order 2
    0 + ..., ... - 1                  no intercept

A random-effects term ``(expr | g)`` gives expr's model terms one covariance
block per level of g; ``(expr || g)`` splits expr into uncorrelated terms;
``g`` may be ``a:b`` (the interaction factor) or ``a/b`` (``a`` and ``b:a``).

The stages, one module each, each using only the ones above it:

    tree           the syntax tree's nodes, ``deparse`` (R's text) and ``names_in``
    tokenizer      text to tokens
    parser         tokens to a tree, with R's operator precedence
    terms          R's term algebra: a formula part to its intercept and terms
    bars           lme4's random-effects terms and grouping factors
    model_formula  ``parse_formula``: the whole formula, checked and split
    dot            R's ``.``: the data's other columns, expanded once the data are known

This package exports what the rest of sparselmm uses.
"""

from .bars import RandomTerm, expand_double_bars
from .dot import expand_dot, has_dot
from .model_formula import Formula, parse_formula
from .terms import TermList
from .tree import BinOp, Call, Constant, Keyword, Name, Number, Paren, String, Unary, deparse, deparse_lines, names_in

__all__ = [
    "BinOp",
    "Call",
    "Constant",
    "Formula",
    "Keyword",
    "Name",
    "Number",
    "Paren",
    "RandomTerm",
    "String",
    "TermList",
    "Unary",
    "deparse",
    "deparse_lines",
    "expand_double_bars",
    "expand_dot",
    "has_dot",
    "names_in",
    "parse_formula",
]
