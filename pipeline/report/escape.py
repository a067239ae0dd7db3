"""Every string that came from a log passes through one of these before it is written out.

Channel names, DNs, connection names and message text are attacker-controllable (anyone can
connect to a listener and offer a channel name), so a report must never let them become markup.
"""

from __future__ import annotations

import html
from typing import Any

import regex

_CONTROL = regex.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = regex.compile(r"\r\n|[\r\n\u2028\u2029\x85]")
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can
# start markup inside a table cell (links, emphasis, code, raw HTML, entities, cell breaks).
_MD_SPECIAL = regex.compile(r"([\\`*_\[\]<>|~&!])")


def text(value: Any) -> str:
    """A value as display text: None/NaN become empty; lists are joined."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v) for v in value)
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return ", ".join(text(v) for v in value.tolist())
    except ImportError:  # numpy comes with pandas; kept explicit for mypy
        pass
    return str(value)


def h(value: Any) -> str:
    """HTML text or attribute value (quotes escaped too)."""
    return html.escape(text(value), quote=True)


def md(value: Any) -> str:
    """A Markdown table cell: one line, no cell breaks, no markup, no raw HTML."""
    flat = _LINE_BREAKS.sub(" ", text(value))
    flat = _CONTROL.sub(" ", flat)
    return _MD_SPECIAL.sub(r"\\\1", flat)


def term(value: Any) -> str:
    """Terminal text: control characters (ANSI escapes included) shown as \\xNN, never executed."""
    flat = _LINE_BREAKS.sub(" ", text(value)).replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", flat)
