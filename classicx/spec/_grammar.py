"""The spec grammar: tokens, a recursive-descent parser into a small tree, and the writer of values.

Hand-written because the grammar is a dozen lines (see :mod:`classicx.spec`)
and the error messages must point at the offending character of the spec;
no parsing library is among the core dependencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ParameterError

__all__ = ["Call", "Sum", "parse", "atom", "write_value"]

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'[^']*'|"[^"]*")|(?P<punct>[(),=+|*\[\]])|(?P<word>[^\s(),=+|*\[\]'"]+))"""
)
_INT = re.compile(r"[-+]?\d+$")
_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")
_RANGE = re.compile(r"(\d+)-(\d+)$")
_NAME = re.compile(r"[A-Za-z0-9_][\w.\-:/]*$")
NORMS = ("l2", "l1")


@dataclass
class Call:
    """``name(arg, ..., key=value, ...)``; ``explicit`` when written with parentheses."""

    name: str
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    explicit: bool = False


@dataclass
class Sum:
    """``w1*a + w2*b | norm``: weighted terms (weight ``None`` = 1) and an optional row normalisation."""

    terms: list  # of (weight or None, Call)
    normalize: str | None = None


def _tokens(spec: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    spec = spec.rstrip()
    while pos < len(spec):
        match = _TOKEN.match(spec, pos)
        if match is None or match.end() == pos:
            raise ParameterError(f"spec {spec!r}: cannot read {spec[pos:]!r} (character {pos + 1})")
        kind = match.lastgroup
        text = match.group(kind)
        out.append((kind, text, match.start(kind)))
        pos = match.end()
    return out


def atom(word: str) -> Any:
    """The value a bare word stands for: int, float, ``a-b`` range (a tuple), bool, None, else the string."""
    lowered = word.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    if _INT.match(word):
        return int(word)
    if _FLOAT.match(word):
        return float(word)
    match = _RANGE.match(word)
    if match:
        return (int(match.group(1)), int(match.group(2)))
    return word


class _Parser:
    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.tokens = _tokens(spec)
        self.i = 0

    def error(self, message: str) -> ParameterError:
        where = self.tokens[self.i][2] + 1 if self.i < len(self.tokens) else len(self.spec.rstrip()) + 1
        return ParameterError(f"spec {self.spec!r}: {message} (character {where})")

    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self, text: str | None = None, kind: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise self.error(f"expected {text or kind}, the spec ended")
        if (text is not None and token[1] != text) or (kind is not None and token[0] != kind):
            raise self.error(f"expected {text or kind}, got {token[1]!r}")
        self.i += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "punct" and token[1] == text

    def expression(self) -> Call | Sum:
        terms = [self.term()]
        while self.at("+"):
            self.take("+")
            terms.append(self.term())
        normalize = None
        if self.at("|"):
            self.take("|")
            word = self.take(kind="word")[1].lower()
            if word not in NORMS:
                self.i -= 1
                raise self.error(f"after '|' expected one of {', '.join(NORMS)}, got {word!r}")
            normalize = word
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r}")
        if len(terms) == 1 and terms[0][0] is None and normalize is None:
            return terms[0][1]
        return Sum(terms, normalize)

    def term(self) -> tuple[float | None, Call]:
        weight = None
        nxt = self.peek(1)
        if self.peek() is not None and self.peek()[0] == "word" and nxt is not None and nxt[1] == "*":
            word = self.take(kind="word")[1]
            value = atom(word)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.i -= 1
                raise self.error(f"a weight before '*' must be a number, got {word!r}")
            self.take("*")
            weight = float(value)
        return weight, self.call()

    def call(self) -> Call:
        token = self.peek()
        if token is None or token[0] != "word":
            raise self.error("expected a name" if token is None else f"expected a name, got {token[1]!r}")
        self.i += 1
        node = Call(token[1].lower())
        if self.at("("):
            node.explicit = True
            self.take("(")
            if not self.at(")"):
                while True:
                    self.argument(node)
                    if self.at(","):
                        self.take(",")
                        continue
                    break
            self.take(")")
        return node

    def argument(self, node: Call) -> None:
        first, second = self.peek(), self.peek(1)
        if first is not None and first[0] == "word" and second is not None and second[1] == "=":
            key = first[1]
            self.i += 2
            if key in node.kwargs:
                self.i -= 2
                raise self.error(f"{key}= given twice")
            node.kwargs[key] = self.value()
        else:
            if node.kwargs:
                raise self.error("a positional argument after a key=value argument")
            node.args.append(self.value())

    def value(self) -> Any:
        token = self.peek()
        if token is None:
            raise self.error("expected a value, the spec ended")
        kind, text, _ = token
        if kind == "string":
            self.i += 1
            return text[1:-1]
        if kind == "punct" and text == "[":
            self.take("[")
            items = []
            if not self.at("]"):
                while True:
                    items.append(self.value())
                    if self.at(","):
                        self.take(",")
                        continue
                    break
            self.take("]")
            return tuple(items)
        if kind == "word":
            following = self.peek(1)
            if following is not None and following[1] == "(":
                return self.call()
            self.i += 1
            return atom(text)
        raise self.error(f"expected a value, got {text!r}")


def parse(spec: str) -> Call | Sum:
    """Parse a spec into a :class:`Call` (one estimator) or a :class:`Sum` (a weighted concatenation)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(f"a spec must be a non-empty string such as 'bovw(sift,512)'; got {spec!r}")
    return _Parser(spec).expression()


def write_value(value: Any, write_estimator: Any) -> str:
    """The spec text of a parameter value (``write_estimator`` writes nested estimators)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        if _NAME.match(value) and atom(value) == value:
            return value
        if "'" not in value:
            return f"'{value}'"
        if '"' not in value:
            return f'"{value}"'
        raise ParameterError(f"the string {value!r} holds both quote characters and cannot be written in a spec")
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(write_value(v, write_estimator) for v in value) + "]"
    if hasattr(value, "get_params"):
        return write_estimator(value, nested=True)
    import numbers

    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    raise ParameterError(f"a value of type {type(value).__name__} ({value!r}) cannot be written in a spec")
