"""Compile rule patterns and refuse the shapes that can backtrack without bound.

Log text is untrusted input, so every pattern a rule file supplies must run in time linear in
the text.  Python's ``re`` backtracks; it stays linear as long as no repeated piece can match the
same characters in more than one way.  We approximate that with structural checks on the
parsed pattern (false positives are acceptable, false negatives are what we guard against):

* no unbounded quantifier inside a repeating one and no repeating quantifier inside an unbounded
  one (``(a+)+``, ``(?:\\s*x)*``, ``(a+){3}``); bounded inside bounded (``(?:\\.\\d{1,3}){3}``) is fine;
* no unbounded quantifier at the very start (the pattern is searched, so ``.*x`` is quadratic);
* no alternation inside an unbounded quantifier (``(a|ab)*``);
* no back-references (they are not regular at all).
"""

from __future__ import annotations

import re
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_REPEATS = {sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", sre_c.MAX_REPEAT)}


class UnsafePattern(ValueError):
    """The pattern could backtrack super-linearly (message says why)."""


def _children(op: Any, av: Any) -> list[Any]:
    if op in _REPEATS:
        return [av[2]]
    if op is sre_c.SUBPATTERN:
        return [av[3]]
    if op is sre_c.BRANCH:
        return list(av[1])
    if op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
        return [av[1]]
    if op is getattr(sre_c, "ATOMIC_GROUP", None):
        return [av]
    if op is sre_c.GROUPREF_EXISTS:
        return [p for p in av[1:] if p is not None]
    return []


def _walk(items: Any, inside_unbounded: bool, inside_multi: bool) -> None:
    for op, av in items:
        if op in (sre_c.GROUPREF, sre_c.GROUPREF_EXISTS):
            raise UnsafePattern("back-references are not allowed")
        if op in _REPEATS:
            unbounded = av[1] is sre_c.MAXREPEAT
            multi = unbounded or av[1] > 1
            if (unbounded and inside_multi) or (multi and inside_unbounded):
                raise UnsafePattern("a quantifier nested inside another quantifier")
            _walk(av[2], inside_unbounded or unbounded, inside_multi or multi)
            continue
        if op is sre_c.BRANCH and inside_unbounded:
            raise UnsafePattern("an alternation inside a quantifier")
        for child in _children(op, av):
            _walk(child, inside_unbounded, inside_multi)


def compile_safe(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile ``pattern`` or raise ``re.error`` / ``UnsafePattern``."""
    compiled = re.compile(pattern, flags)
    parsed = sre_parse.parse(pattern, flags)
    _walk(parsed, inside_unbounded=False, inside_multi=False)
    first = list(parsed)[:1]
    if first and first[0][0] in _REPEATS and first[0][1][1] is sre_c.MAXREPEAT:
        # Patterns are searched, not anchored: a leading .* rescans the text from every position.
        raise UnsafePattern("starts with an unbounded quantifier (patterns are searched; drop it)")
    return compiled
