"""Inputs that make an ambiguous regex backtrack without bound, fed to every parser and rule.

Python's ``re`` cannot be interrupted by a signal while it matches, so callers run these in a
child process with a timeout (``python -m pipeline.reliability pathological`` prints JSON);
the functions here only build the cases, run them and describe the outcomes.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from pipeline.ingest.records import FileContext

N = 100_000
BIG = 10**6

_HEADER = ("11/20/2026 08:00:00 - Process(1.1) User(mqm) Program(amqrmppa)\n"
           "                    Host(h) Installation(Installation1)\n"
           "                    VRMF(9.4.0.5) QMgr(QMA)\n"
           "                    Time(2026-11-20T08:00:00.000Z)\n")
_CTX = FileContext(source_path="pathological/AMQERR01.LOG")
_TRAILER = "----- amqrmrsa.c : 938 --------------------------------------------------------\n"


def payloads(n: int = N, big: int = BIG) -> dict[str, str]:
    """Strings that are exponential or quadratic for an ambiguous or unanchored pattern."""
    N, BIG = n, big  # noqa: N806 - same names as the module defaults they override
    return {
        "open_parens_1e5": "(" * N,
        "nested_parens_1e5": "(" * N + "x" + ")" * N,
        "alternating_parens": ")(" * (N // 2),
        "a_1e6_then_bang": "a" * BIG + "!",
        "spaces_1e6": " " * BIG,
        "tabs_spaces_mixed": " \t" * (BIG // 2),
        "quotes_1e5": "'" * N,
        "channel_quote_repeated": "channel '" * (N // 9),
        "insert_keyword_repeated": "CommentInsert1(" * (N // 15),
        "msgid_repeated": "AMQ9999E: " * (N // 10),
        "trailer_dashes": "-----" * (N // 5),
        "header_repeated": "11/20/2026 08:00:00 - Process(" * (N // 30),
        "brackets_1e5": "[" * N,
        "digits_1e5": "9" * N,
    }


def _text_entry(body: str) -> bytes:
    return (_HEADER + f"                    CommentInsert1({body})\n\nAMQ9999E: {body}\n\n"
            f"EXPLANATION:\n{body}\nACTION:\n{body}\n" + _TRAILER).encode("utf-8")


def _split_and_parse(data: bytes) -> list[Any]:
    from pipeline.ingest import textlog

    return [textlog.parse_block(b, _CTX) for b in textlog.split_blocks(io.BytesIO(data))]


def _parse_raw_block(data: bytes) -> Any:
    from pipeline.ingest import textlog
    from pipeline.ingest.records import RawBlock

    return textlog.parse_block(RawBlock(0, 1, data), _CTX)


def _parse_flat(data: bytes) -> Any:
    from pipeline.ingest import textlog

    return textlog.parse_flat_line(data, 0, 1, _CTX)


def _parse_json(data: bytes) -> Any:
    from pipeline.ingest import jsonlog

    return jsonlog.parse_json_line(data, 0, 1, _CTX)


def _read_export(kind: str, data: bytes) -> list[Any]:
    from pipeline.ingest.exports import read_export

    return list(read_export(kind, io.BytesIO(data), _CTX))


def _export_inputs(body: str) -> dict[str, str]:
    """One small document per export kind with ``body`` in its free-text and name fields."""
    return {
        "csv": f'qmgr,channel,last_error_time,last_error\nQMA,"{body.replace(chr(34), "")}",2026-11-20T08:00:00Z,{body}\n',
        "jsonl": json.dumps({"qmgr": "QMA", "channel": body, "last_error_time": "2026-11-20T08:00:00Z",
                             "last_error": body}) + "\n",
        "chstatus": ("AMQ8417I: Display Channel Status details.\n"
                     f"   CHANNEL({body})   CHLTYPE(SDR)\n   CONNAME({body})   STATUS(RETRYING)\n"),
        "amqsevt_text": f"**** Message #1 (212 Bytes) on Queue SYSTEM.ADMIN.CHANNEL.EVENT ****\nEvent Type : {body}\n",
        "amqsevt_json": json.dumps({"eventType": {"name": body}, "eventReason": {"name": body, "value": 2371},
                                    "eventData": {"channelName": body, "connectionName": body}}),
    }


def parser_cases() -> Iterator[tuple[str, str, Callable[[], Any]]]:
    """(parser, payload name, thunk) for every parser and export reader."""
    for name, body in payloads().items():
        entry = _text_entry(body)
        yield "text.split+parse", name, functools.partial(_split_and_parse, entry)
        yield "text.parse_block(raw)", name, functools.partial(_parse_raw_block, body.encode())
        yield "flat", name, functools.partial(_parse_flat, entry.replace(b"\n", b" ") + b"\n")
        line = json.dumps({"ibm_messageId": "AMQ9999E", "ibm_datetime": "2026-11-20T08:00:00.000Z",
                           "ibm_serverName": "QMA", "ibm_commentInsert1": body, "message": body}).encode()
        yield "json", name, functools.partial(_parse_json, line)
        for kind, document in _export_inputs(body).items():
            yield f"export.{kind}", name, functools.partial(_read_export, kind, document.encode())
    # whitespace between the header's key(value) pairs, where the pair scanner runs
    header = _text_entry("x").replace(b" QMgr(QMA)", b" QMgr(QMA)" + b" " * BIG, 1)
    yield "text.split+parse", "spaces_between_header_pairs_1e6", functools.partial(_split_and_parse, header)
    yield "flat", "spaces_between_header_pairs_1e6", functools.partial(
        _parse_flat, header.replace(b"\n", b" ") + b"\n")
    deep = ("[" * N + "]" * N).encode()
    yield "json", "json_nesting_1e5", functools.partial(_parse_json, deep)
    deep_evt = ('{"eventType":' + "[" * N + "]" * N + "}").encode()
    yield "export.amqsevt_json", "json_nesting_1e5", functools.partial(_read_export, "amqsevt_json", deep_evt)
    yield "export.jsonl", "json_nesting_1e5", functools.partial(_read_export, "jsonl", deep + b"\n")


def _describe(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    kinds: dict[str, int] = {}
    for item in items:
        kinds[type(item).__name__] = kinds.get(type(item).__name__, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "nothing"


def run_parser_cases(progress: Callable[[str], None] = lambda line: None) -> list[dict[str, Any]]:
    """Run every parser case; an exception is an outcome (``error``), never hidden."""
    results = []
    for parser, name, thunk in parser_cases():
        progress(f"{parser} {name}")
        started = time.perf_counter()
        try:
            outcome, detail = "ok", _describe(thunk())
        except Exception as exc:  # noqa: BLE001 - recorded and reported by the caller, not swallowed
            outcome, detail = "error", f"{type(exc).__name__}: {str(exc)[:200]}"
        results.append({"parser": parser, "payload": name, "outcome": outcome, "detail": detail,
                        "seconds": round(time.perf_counter() - started, 4)})
    return results


# --- rule regexes -------------------------------------------------------------------------------
_REPEATS = {sre_c.MAX_REPEAT, sre_c.MIN_REPEAT}
_KEYS = ("pattern", "msg_id_pattern", "matches", "regex")


def rule_patterns(rules_dirs: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(where, pattern) for every regex in the loaded rules (bundled plus ``rules_dirs``)."""
    from pipeline.rules import load_rules

    rs = load_rules(rules_dirs)
    found: list[tuple[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, re.Pattern):
            found.append((where, node.pattern))
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in _KEYS and isinstance(value, str):
                    found.append((f"{where}.{key}", value))
                else:
                    walk(value, f"{where}.{key}")
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")
        elif hasattr(node, "__dataclass_fields__"):
            for key in node.__dataclass_fields__:
                walk(getattr(node, key), f"{where}.{key}")

    walk(rs.rules, "rules")
    walk(rs.tables, "tables")
    return sorted(set(found))


def module_patterns(modules: tuple[str, ...]) -> list[tuple[str, str]]:
    """(module.NAME, pattern) for module-level compiled patterns (``re`` and ``regex``)."""
    found = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        for attr, value in vars(module).items():
            pattern = getattr(value, "pattern", None)
            if hasattr(value, "search") and isinstance(pattern, (str, bytes)):
                text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
                found.append((f"{module_name}.{attr}", text))
    return found


def nested_quantifier(pattern: str) -> str | None:
    """Why ``pattern`` may backtrack super-linearly (a repeat inside an unbounded repeat), or None.

    Deliberately small and conservative: it flags shapes, it does not prove ambiguity.
    """
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        return f"does not compile: {exc}"

    def repeats(items: Any) -> Iterator[tuple[int, Any]]:
        for op, av in items:
            if op in _REPEATS:
                yield av[1], av[2]
            elif op is sre_c.SUBPATTERN:
                yield from repeats(av[3])
            elif op is sre_c.BRANCH:
                for branch in av[1]:
                    yield from repeats(branch)

    def check(items: Any) -> str | None:
        for high, body in repeats(items):
            if high is not sre_c.MAXREPEAT and high <= 1:   # optional, not repeated
                found = check(body)
                if found:
                    return found
                continue
            inner = [h for h, _b in repeats(body) if h is sre_c.MAXREPEAT or h > 1]
            if inner and (high is sre_c.MAXREPEAT or any(h is sre_c.MAXREPEAT for h in inner)):
                return "a repeated group containing a repeat"
            found = check(body)
            if found:
                return found
        return None

    return check(parsed)


def literal_prefix(pattern: str) -> str:
    """The literal characters a pattern starts with (used to build a matching-then-failing input)."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return ""
    chars = []
    for op, av in parsed:
        if op is sre_c.LITERAL:
            chars.append(chr(av))
        elif op is sre_c.AT:
            continue
        else:
            break
    return "".join(chars)


def run_rule_cases(patterns: list[tuple[str, str]], n: int = N,
                   progress: Callable[[str], None] = lambda line: None) -> list[dict[str, Any]]:
    """Search every pattern over every payload (size ``n``) plus its literal prefix repeated to ``n`` chars."""
    results = []
    for where, pattern in patterns:
        compiled = re.compile(pattern)
        inputs = dict(payloads(n, n))
        prefix = literal_prefix(pattern)
        if prefix:
            inputs["own_prefix_repeated"] = prefix * max(1, n // len(prefix))
        slowest, slowest_name = 0.0, ""
        for name, text in inputs.items():
            progress(f"{where} {name}")
            started = time.perf_counter()
            compiled.search(text)
            took = time.perf_counter() - started
            if took > slowest:
                slowest, slowest_name = took, name
        results.append({"where": where, "pattern": pattern, "nested": nested_quantifier(pattern),
                        "inputs": len(inputs), "size": n, "slowest": slowest_name,
                        "slowest_seconds": round(slowest, 4)})
    return results
