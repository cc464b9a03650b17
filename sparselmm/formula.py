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
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .errors import FormulaError

# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Name:
    """A column of the data."""

    name: str


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple


@dataclass(frozen=True)
class BinOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Unary:
    op: str
    operand: object


@dataclass(frozen=True)
class Paren:
    inner: object


_NAME = r"(?:[^\W\d_]|\.)[\w.]*"  # R's syntactic names: letters (any script), digits, "." and "_"
_SYNTACTIC = re.compile(f"^{_NAME}$")
_SPACED_OPS = {"+", "-", "*", "~", "|", "||"}


def deparse(node) -> str:
    """The text R gives an expression, so that column names match R's."""
    if isinstance(node, Name):
        return node.name if _SYNTACTIC.match(node.name) else f"`{node.name}`"
    if isinstance(node, Number):
        return _format_number(node.value)
    if isinstance(node, Call):
        return f"{node.func}({', '.join(deparse(a) for a in node.args)})"
    if isinstance(node, BinOp):
        sep = f" {node.op} " if node.op in _SPACED_OPS else node.op
        return deparse(node.left) + sep + deparse(node.right)
    if isinstance(node, Unary):
        return node.op + deparse(node.operand)
    if isinstance(node, Paren):
        return f"({deparse(node.inner)})"
    raise TypeError(node)


def _format_number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def names_in(node) -> list[str]:
    """The data columns an expression reads, in order of appearance."""
    if isinstance(node, Name):
        return [node.name]
    if isinstance(node, Call):
        return [n for a in node.args for n in names_in(a)]
    if isinstance(node, BinOp):
        return names_in(node.left) + names_in(node.right)
    if isinstance(node, (Unary,)):
        return names_in(node.operand)
    if isinstance(node, Paren):
        return names_in(node.inner)
    return []


# ------------------------------------------------------------------- tokenizer

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>""" + _NAME + r""")
      | `(?P<quoted>[^`]*)`
      | (?P<op>\|\||\*\*|%[^%]*%|[~+\-*/:^|(),])
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            pos = len(text) - len(text[pos:].lstrip())
            raise FormulaError(
                f"cannot read the formula {text!r} at position {pos}: {text[pos:pos + 10]!r}. "
                "Quote unusual column names with backticks, e.g. `my column`."
            )
        kind = match.lastgroup
        value = match.group(kind)
        tokens.append(("name" if kind == "quoted" else kind, "^" if value == "**" else value))
        pos = match.end()
    return tokens


# ---------------------------------------------------------------------- parser

# Binary operators by binding strength, loosest first (R's ?Syntax).
_LEVELS = [("~",), ("|", "||"), ("+", "-"), ("*", "/"), ("%",), (":",)]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def error(self, what: str) -> FormulaError:
        return FormulaError(f"malformed formula {self.text!r}: {what}")

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, value: str):
        kind, got = self.take()
        if got != value:
            raise self.error(f"expected {value!r} but found {got or 'the end'!r}")

    def parse(self):
        node = self.binary(0)
        if self.pos != len(self.tokens):
            raise self.error(f"unexpected {self.peek()[1]!r}")
        return node

    def binary(self, level: int):
        if level == len(_LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while True:
            kind, value = self.peek()
            if kind != "op" or not self._at_level(value, level):
                return node
            self.take()
            node = BinOp(value, node, self.binary(level + 1))

    @staticmethod
    def _at_level(op: str, level: int) -> bool:
        ops = _LEVELS[level]
        return op in ops or (ops == ("%",) and op.startswith("%"))

    def unary(self):
        kind, value = self.peek()
        if kind == "op" and value in ("-", "+"):
            self.take()
            return Unary(value, self.unary())
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            return BinOp("^", base, self.unary())
        return base

    def atom(self):
        kind, value = self.take()
        if kind == "number":
            return Number(float(value))
        if kind == "name":
            if self.peek() == ("op", "("):
                return self.call(value)
            return Name(value)
        if value == "(":
            inner = self.binary(1)
            self.expect(")")
            return Paren(inner)
        raise self.error(f"unexpected {value or 'end of formula'!r}")

    def call(self, func: str):
        self.expect("(")
        args = []
        if self.peek() != ("op", ")"):
            args.append(self.binary(2))
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.binary(2))
        self.expect(")")
        return Call(func, tuple(args))


# ------------------------------------------------------------ model terms


@dataclass(frozen=True)
class TermList:
    """The model terms of one formula part, in R's order.

    ``terms`` holds each term as a tuple of variable expressions (one for a main
    effect, several for an interaction), sorted by degree as R sorts them.
    """

    intercept: bool
    terms: tuple

    def __post_init__(self):
        if not self.intercept and not self.terms:
            raise FormulaError("a formula part has no terms: it removes the intercept and adds nothing")


@dataclass(frozen=True)
class RandomTerm:
    """One ``(expr | group)`` block: expr's columns, correlated within each level of group."""

    expr: TermList
    group: tuple  # variable expressions whose interaction forms the grouping factor
    name: str = ""  # lme4's name when it differs from the parts joined by ":" (``c:(b:a)``)

    @property
    def group_name(self) -> str:
        """lme4's name for the grouping factor, e.g. ``cask:batch``."""
        return self.name or ":".join(deparse(g) for g in self.group)


@dataclass(frozen=True)
class Formula:
    text: str
    response: object
    fixed: TermList
    random: tuple
    tree: object = None  # the parsed formula, deparsed for printing as R deparses it

    def columns(self) -> list[str]:
        """Every data column the formula reads, each once, in order of appearance."""
        nodes = [self.response] + [v for t in self.fixed.terms for v in t]
        for re_term in self.random:
            nodes += [v for t in re_term.expr.terms for v in t] + list(re_term.group)
        return list(dict.fromkeys(n for node in nodes for n in names_in(node)))


def parse_formula(text: str) -> Formula:
    """Parse an lme4 model formula such as ``"y ~ x + (1 + x | g)"``."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("the formula must be a non-empty string such as 'y ~ x + (1 | g)'")
    if text.lstrip().startswith("~"):
        raise FormulaError(f"the formula {text!r} has no response: write it before '~', as in 'y ~ x + (1 | g)'")
    tree = _Parser(text).parse()
    if not (isinstance(tree, BinOp) and tree.op == "~"):
        raise FormulaError(f"malformed formula {text!r}: it needs a response, '~' and terms, as in 'y ~ x + (1 | g)'")
    if _contains_tilde(tree.left) or _contains_tilde(tree.right):
        raise FormulaError(f"malformed formula {text!r}: more than one '~'")
    fixed_node, bars = _split_bars(tree.right)
    if not bars:
        raise FormulaError(
            f"the formula {text!r} has no random-effects terms; add one such as '(1 | group)' "
            "(for a model without random effects use an ordinary linear model)"
        )
    order = _variable_order(tree.right)
    fixed = _term_list(fixed_node, order, text) if fixed_node is not None else TermList(True, ())
    random = tuple(term for bar in bars for term in _random_terms(bar, text))
    return Formula(text, tree.left, fixed, random, tree)


def expand_double_bars(node):
    """The tree with each ``(e || g)`` written out as lme4 rewrites it: ``((1 | g) + (0 + x | g))``."""
    if isinstance(node, Paren) and isinstance(node.inner, BinOp) and node.inner.op == "||":
        expr, group = node.inner.left, node.inner.right
        terms = _term_list(expr, _variable_order(expr), deparse(node))
        pieces = ([Number(1)] if terms.intercept else []) + [
            BinOp("+", Number(0), _product(term)) for term in terms.terms
        ]
        bars = [Paren(BinOp("|", piece, group)) for piece in pieces]
        total = bars[0]
        for bar in bars[1:]:
            total = BinOp("+", total, bar)
        return Paren(total)
    if isinstance(node, BinOp):
        return BinOp(node.op, expand_double_bars(node.left), expand_double_bars(node.right))
    return node


def _product(term: tuple):
    node = term[0]
    for variable in term[1:]:
        node = BinOp(":", node, variable)
    return node


def _contains_tilde(node) -> bool:
    if isinstance(node, BinOp):
        return node.op == "~" or _contains_tilde(node.left) or _contains_tilde(node.right)
    if isinstance(node, Paren):
        return _contains_tilde(node.inner)
    return False


def _is_bar(node) -> bool:
    return isinstance(node, Paren) and isinstance(node.inner, BinOp) and node.inner.op in ("|", "||")


def _split_bars(node):
    """Separate the random-effects terms from the fixed part of the right-hand side."""
    if _is_bar(node):
        return None, [node.inner]
    if isinstance(node, BinOp) and node.op in ("+", "-"):
        left, left_bars = _split_bars(node.left)
        if node.op == "-":
            right, right_bars = node.right, []
        else:
            right, right_bars = _split_bars(node.right)
        if left is None:
            fixed = right if node.op == "+" else Unary("-", right) if right is not None else None
        else:
            fixed = left if right is None else BinOp(node.op, left, right)
        return fixed, left_bars + right_bars
    if isinstance(node, BinOp) and node.op in ("|", "||"):
        raise FormulaError(f"put the random-effects term '{deparse(node)}' in parentheses: ({deparse(node)})")
    return node, []


def _variable_order(node) -> list[str]:
    """Variables by first appearance; R orders the factors of each term this way."""
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/", ":", "^", "|", "||"):
        if node.op == "^":
            return _variable_order(node.left)
        return list(dict.fromkeys(_variable_order(node.left) + _variable_order(node.right)))
    if isinstance(node, (Paren,)):
        return _variable_order(node.inner)
    if isinstance(node, Unary):
        return _variable_order(node.operand)
    if isinstance(node, Number):
        return []
    return [deparse(node)]


def _term_list(node, order: list[str], text: str) -> TermList:
    terms, removed = _expand(node, text)
    intercept = frozenset() in terms or frozenset() not in removed
    variables = {}
    for term in terms:
        for var in term:
            variables[var[0]] = var[1]
    kept = [t for t in dict.fromkeys(terms) if t and t not in removed]
    rank = {name: i for i, name in enumerate(order)}
    ordered = [tuple(variables[v] for v in sorted((n for n, _ in t), key=lambda n: rank.get(n, len(rank)))) for t in kept]
    ordered.sort(key=len)
    if not intercept and not ordered:
        raise FormulaError(
            f"malformed formula {text!r}: the part '{deparse(node)}' has no terms: it removes the intercept "
            "and adds nothing; keep the intercept ('1') or add a variable"
        )
    return TermList(intercept, tuple(ordered))


def _expand(node, text: str):
    """R's term algebra: (terms in order, terms removed); a term is a frozenset of (name, node)."""
    if isinstance(node, Paren):
        return _expand(node.inner, text)
    if isinstance(node, Number):
        if node.value == 1:
            return [frozenset()], set()
        if node.value == 0:
            return [], {frozenset()}
        raise FormulaError(f"malformed formula {text!r}: the number {deparse(node)} cannot be a model term")
    if isinstance(node, Unary):
        terms, _ = _expand(node.operand, text)
        return ([], set(terms)) if node.op == "-" else (terms, set())
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/", ":", "^"):
        return _combine(node, text)
    if isinstance(node, BinOp):
        raise FormulaError(f"malformed formula {text!r}: the operator {node.op!r} cannot combine model terms here")
    return [frozenset({(deparse(node), node)})], set()


def _combine(node, text: str):
    left, left_removed = _expand(node.left, text)
    if node.op == "^":
        power = node.right.inner if isinstance(node.right, Paren) else node.right
        if not isinstance(power, Number) or power.value < 1 or not float(power.value).is_integer():
            raise FormulaError(f"malformed formula {text!r}: '^' needs a whole number such as (a + b)^2")
        combos = [frozenset().union(*c) for r in range(1, int(power.value) + 1) for c in itertools.combinations(left, r)]
        return combos, left_removed
    right, right_removed = _expand(node.right, text)
    if node.op == "+":
        return left + right, left_removed | right_removed
    if node.op == "-":
        return [t for t in left if t not in right], left_removed | set(right)
    products = [a | b for a in left for b in right]
    if node.op == ":":
        return products, set()
    if node.op == "*":
        return left + right + products, set()
    everything = frozenset().union(*left) if left else frozenset()
    return left + [everything | b for b in right], set()  # "/": nesting


def _random_terms(bar: BinOp, text: str) -> list[RandomTerm]:
    """lme4's expansion: ``||`` splits expr first, then each piece is crossed with the nested groups."""
    expr = _term_list(bar.left, _variable_order(bar.left), text)
    groups = _grouping_factors(bar.right, text)
    if bar.op == "|":
        pieces = [expr]
    else:
        pieces = ([TermList(True, ())] if expr.intercept else []) + [TermList(False, (t,)) for t in expr.terms]
    return [RandomTerm(piece, parts, deparse(node)) for piece in pieces for parts, node in groups]


def _grouping_factors(node, text: str) -> list[tuple]:
    """(variable expressions, node naming it) per grouping factor, in lme4's order.

    ``g`` -> g; ``a:b`` -> a:b; ``a/b`` -> b:a, a; ``a/b/c`` -> c:(b:a), b:a, a.
    """
    if isinstance(node, Paren):
        return _grouping_factors(node.inner, text)
    if isinstance(node, BinOp) and node.op == ":":
        return [(tuple(_interaction_parts(node, text)), node)]
    if isinstance(node, BinOp) and node.op == "/":
        outer = _grouping_factors(node.left, text)
        widest_parts, widest = outer[0]
        inner = _grouping_factors(node.right, text)
        return [(parts + widest_parts, _nest(within, widest)) for parts, within in inner] + outer
    if isinstance(node, (Name, Call)):
        return [((node,), node)]
    raise FormulaError(
        f"malformed formula {text!r}: the grouping factor '{deparse(node)}' must be a column, "
        "an interaction such as a:b, or a nesting such as a/b"
    )


def _nest(inner, outer) -> BinOp:
    """``inner`` within ``outer`` as lme4 writes it: b:a, c:(b:a)."""
    return BinOp(":", inner, Paren(outer) if isinstance(outer, BinOp) else outer)


def _interaction_parts(node, text: str) -> list:
    if isinstance(node, BinOp) and node.op == ":":
        return _interaction_parts(node.left, text) + _interaction_parts(node.right, text)
    if isinstance(node, (Name, Call)):
        return [node]
    raise FormulaError(f"malformed formula {text!r}: cannot group by '{deparse(node)}'")
