"""Read runmqsc display output: `DISPLAY QMGR ALL`, `DISPLAY CHANNEL(*) ALL`, `DISPLAY CHLAUTH(*) ALL`.

The reply to each display is a message line (`AMQ8408I: Display Queue Manager details.`) followed by
attribute lines of `KEYWORD(value)` tokens, two to a line, indented.  Values may hold spaces
(`DESCR(Auto-defined by)`), commas (DNs), quotes and nested parentheses (`CONNAME(host(1414))`), so
the tokenizer is a hand-written scanner: one pass, parenthesis depth and quote state, linear in the
input.  Banner, echoed command and trailer lines are recognised and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError

# Reply headers (the severity letter is missing before MQ 9).
HEADERS = {
    "AMQ8408": "qmgr",     # Display Queue Manager details.
    "AMQ8414": "channel",  # Display Channel details.
    "AMQ8878": "chlauth",  # Display channel authentication record details.
}

_SKIP_PREFIXES = (
    "5724-H72", "Starting MQSC", "One MQSC command", "No commands have", "All valid MQSC",
    "MQSC commands read", "commands have a syntax error",
)


@dataclass
class MqscObject:
    """One displayed object: its kind, attributes (upper-case keyword -> value) and where it was read."""

    kind: str
    attrs: dict[str, str] = field(default_factory=dict)
    source: str = ""
    line: int = 0

    def get(self, key: str, default: str = "") -> str:
        return self.attrs.get(key, default)


def tokenize(text: str, source: str = "<text>", line: int = 0) -> list[tuple[str, str | None]]:
    """Split an attribute line into (KEYWORD, value) pairs; a bare keyword (`CURRENT`) has value None.

    Surrounding single quotes of a value are removed (`SSLPEER('CN=x')` -> `CN=x`); a blank value
    `( )` becomes the empty string.
    """
    out: list[tuple[str, str | None]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        while i < n and (text[i].isalnum() or text[i] in "_-."):
            i += 1
        if i == start:
            raise ConfigError(f"{source}:{line}: unexpected character {ch!r} at column {i + 1}")
        key = text[start:i].upper()
        if i < n and text[i] == "(":
            i += 1
            depth, quoted, vstart = 1, False, i
            while i < n:
                c = text[i]
                if c == "'":
                    # '' inside a quoted value is an escaped quote
                    if quoted and i + 1 < n and text[i + 1] == "'":
                        i += 2
                        continue
                    quoted = not quoted
                elif not quoted and c == "(":
                    depth += 1
                elif not quoted and c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            if depth != 0:
                raise ConfigError(f"{source}:{line}: unbalanced parentheses in {key}(")
            out.append((key, _unquote(text[vstart:i].strip())))
            i += 1
        else:
            out.append((key, None))
    return out


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def parse_display(text: str, source: str = "<text>") -> list[MqscObject]:
    """All displayed QMGR, CHANNEL and CHLAUTH objects in runmqsc output (other displays are skipped)."""
    objects: list[MqscObject] = []
    current: MqscObject | None = None
    skipping = False  # inside a reply we do not model (DISPLAY QMSTATUS, LISTENER ...)
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        head = stripped[:7]
        if head.startswith("AMQ") and ":" in stripped[:10]:
            kind = HEADERS.get(head)
            if kind is None:
                current, skipping = None, True
                continue
            current = MqscObject(kind=kind, source=source, line=number)
            objects.append(current)
            skipping = False
            continue
        if stripped.startswith(_SKIP_PREFIXES) or _is_command_echo(stripped):
            current = None
            continue
        if not raw[:1].isspace():
            current = None  # banner text, section titles of wrapper scripts, dspmq lines
            continue
        if current is None or skipping:
            continue
        for key, value in tokenize(raw, source, number):
            current.attrs[key] = "" if value is None else value
    return objects


def _is_command_echo(stripped: str) -> bool:
    # `     1 : DISPLAY CHANNEL(*) ALL`
    number, sep, rest = stripped.partition(" : ")
    return bool(sep) and number.isdigit() and rest[:4].upper() in {"DISP", "DIS ", "SET ", "DEFI", "ALTE"}


def read_display(path: Path) -> list[MqscObject]:
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252", errors="replace")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read runmqsc output ({exc.strerror})") from exc
    return parse_display(text, str(path))
