"""Read rule folders with ``yaml.safe_load``, validate every entry, layer folders, build a RuleSet.

A rule file is a mapping ``{kind: <kind>, rules: [...]}`` (rule kinds) or ``{kind: <table kind>,
entries: [...]}`` (tables).  ``causes.yaml`` holds the cause vocabulary; ``insert_slots.yaml`` belongs
to the parser and is skipped here.  Folders are layered in order: the bundled ``rules/`` first, then
each ``--rules DIR``; an entry with the same id (or table key) replaces the earlier one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import RuleError
from pipeline.rules.kinds import KINDS, RULE_KINDS, Entry, FieldError, Problem

SKIPPED_FILES = {"insert_slots.yaml"}
CAUSES_FILE = "causes.yaml"
PHASES = ("network", "handshake", "post_tls", "info", "other")
FAILURE_PHASES = ("network", "handshake", "post_tls")

_ID_RE = re.compile(r"^(AMQ\d{4}|CSQ[A-Z0-9]\d{3})[A-Z]?$")


def bundled_rules_dir() -> Path:
    """The rules shipped with the project (``rules/`` next to the package; MQTRIAGE_RULES_DIR overrides)."""
    from pipeline.resources import rules_dir

    return rules_dir()


def canonical_id(value: Any) -> str | None:
    """AMQ9631E / AMQ9631 -> AMQ9631; CSQX202E -> CSQX202; other ids upper-cased as they are."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().upper()
    if not text:
        return None
    m = _ID_RE.match(text)
    return m.group(1) if m else text


@dataclass
class RuleSet:
    """Validated, layered rules with the indexes the engine needs."""

    causes: dict[str, dict[str, Any]]
    phases: dict[str, str]
    rules: dict[str, dict[str, dict[str, Any]]]          # kind -> id -> rule (with "_file")
    tables: dict[str, dict[Any, dict[str, Any]]]        # table kind -> key -> entry
    files: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)  # "id (file) overrides (file)"

    # -- access ---------------------------------------------------------------------------
    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return sorted(self.rules.get(kind, {}).values(), key=lambda r: -r["priority"])

    def rule(self, rule_id: str) -> dict[str, Any]:
        for kind in RULE_KINDS:
            if rule_id in self.rules.get(kind, {}):
                return self.rules[kind][rule_id]
        raise KeyError(rule_id)

    def all_rules(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for kind in RULE_KINDS:
            for rule in self.rules.get(kind, {}).values():
                yield kind, rule

    def phase_of(self, cause: str) -> str:
        return str(self.causes[cause]["phase"])

    def cipher_index(self) -> dict[str, dict[str, Any]]:
        """Upper-cased name or alternate name -> cipherspec entry."""
        index: dict[str, dict[str, Any]] = {}
        for entry in self.tables.get("cipherspec", {}).values():
            index[entry["name"].upper()] = entry
            for alt in entry["alternate_names"]:
                index[alt.upper()] = entry
        return index

    def examples(self) -> Iterator[tuple[str, str | None, str, str]]:
        """(text, msg_id, phase, cause) for every must-match example that decides a cause.

        Examples whose text is marked ``(composed ...)`` (placeholders for messages whose real text
        is unknown) are left out: they test rule mechanics and would teach a model nothing true.
        """
        from pipeline.rules.examples import example_text

        for kind, rule in self.all_rules():
            if kind == "signal":
                continue
            for ex in rule["examples"]["match"]:
                cause = (ex.get("expect") or {}).get("cause") or rule.get("cause")
                if not cause:
                    continue
                text, msg_id = example_text(ex)
                if text and "(composed" not in text:
                    yield text, msg_id, self.phase_of(cause), cause


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            # libyaml's safe loader when present (several times faster); both refuse python/* tags
            return yaml.load(fh, Loader=_SAFE_LOADER)  # noqa: S506 - a SafeLoader, never the full one
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), "", "", f"cannot read: {exc}"))
    except yaml.YAMLError as exc:
        problems.append(Problem(str(path), "", "", f"not valid YAML: {exc}"))
    return None


def _load_causes(path: Path, problems: list[Problem]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    raw = _read_yaml(path, problems)
    if not isinstance(raw, dict):
        if raw is not None or path.exists():
            problems.append(Problem(str(path), "", "", "must be a mapping with `phases` and `causes`"))
        return {}, {}
    unknown = set(raw) - {"phases", "causes"}
    if unknown:
        problems.append(Problem(str(path), "", sorted(unknown)[0], "unknown top-level key"))
    phases = raw.get("phases") or {}
    causes = raw.get("causes") or {}
    if set(phases) != set(PHASES):
        problems.append(Problem(str(path), "", "phases", f"must be exactly {', '.join(PHASES)}"))
    out: dict[str, dict[str, Any]] = {}
    for name, spec in causes.items():
        if not isinstance(spec, dict):
            problems.append(Problem(str(path), name, "", "a cause is a mapping"))
            continue
        extra = set(spec) - {"phase", "fix_side", "meaning", "check"}
        if extra:
            problems.append(Problem(str(path), name, sorted(extra)[0], "unknown key"))
        if spec.get("phase") not in PHASES:
            problems.append(Problem(str(path), name, "phase", f"{spec.get('phase')!r} is not a phase"))
        for key in ("meaning", "check", "fix_side"):
            if not isinstance(spec.get(key), str):
                problems.append(Problem(str(path), name, key, "is required (text)"))
        out[name] = dict(spec)
    return dict(phases), out


def _load_file(path: Path, problems: list[Problem]) -> list[Entry]:
    raw = _read_yaml(path, problems)
    if raw is None:
        return []
    if not isinstance(raw, dict) or "kind" not in raw:
        problems.append(Problem(str(path), "", "kind", "a rule file is a mapping with `kind` and `rules`/`entries`"))
        return []
    kind_name = raw["kind"]
    kind = KINDS.get(kind_name)
    if kind is None:
        problems.append(Problem(str(path), "", "kind", f"unknown kind {kind_name!r} (known: {', '.join(KINDS)})"))
        return []
    list_key = "entries" if kind.is_table else "rules"
    unknown = set(raw) - {"kind", list_key, "description"}
    if unknown:
        problems.append(Problem(str(path), "", sorted(unknown)[0], f"unknown top-level key (kind {kind_name} uses `{list_key}`)"))
    items = raw.get(list_key)
    if not isinstance(items, list):
        problems.append(Problem(str(path), "", list_key, "must be a list"))
        return []
    entries: list[Entry] = []
    seen: set[Any] = set()
    for i, item in enumerate(items):
        ident = item.get(kind.key, f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        try:
            data = kind.build(item)
        except FieldError as exc:
            problems.append(Problem(str(path), str(ident), exc.field_name, str(exc).split(": ", 1)[1]))
            continue
        key = data[kind.key]
        if isinstance(key, str) and kind.key == "name":
            key = key.upper()
        if key in seen:
            problems.append(Problem(str(path), str(ident), kind.key, "duplicate id in this file"))
            continue
        seen.add(key)
        entries.append(Entry(kind_name, data, str(path)))
    return entries


def _check_references(rs: RuleSet, problems: list[Problem]) -> None:
    causes = rs.causes
    for _kind, rule in rs.all_rules():
        cause = rule.get("cause")
        if cause is not None and cause not in causes:
            problems.append(Problem(rule["_file"], rule["id"], "cause", f"unknown cause {cause!r}"))
        for ex in rule["examples"]["match"] + rule["examples"]["no_match"]:
            want = (ex.get("expect") or {}).get("cause")
            if want is not None and want not in causes:
                problems.append(Problem(rule["_file"], rule["id"], "examples", f"unknown cause {want!r} in expect"))
    for _table, entries in rs.tables.items():
        for key, entry in entries.items():
            cause = entry.get("cause")
            if cause is not None and cause not in causes:
                problems.append(Problem(entry["_file"], str(key), "cause", f"unknown cause {cause!r}"))
    # Two message rules claiming one id at the same priority and severity filter are ambiguous.
    claims: dict[tuple[str, int, tuple[str, ...]], str] = {}
    for rule in rs.rules.get("message", {}).values():
        for mid in rule["msg_ids"]:
            key = (canonical_id(mid) or "", rule["priority"], tuple(sorted(rule["severities"])))
            other = claims.get(key)
            if other and other != rule["id"]:
                problems.append(Problem(rule["_file"], rule["id"], "msg_ids",
                                        f"{mid} is also claimed by rule {other} at the same priority"))
            claims[key] = rule["id"]


def collect(dirs: Iterable[str | Path] = (), include_bundled: bool = True) -> tuple[RuleSet, list[Problem]]:
    """Load and validate; return the RuleSet and every problem found (nothing raised)."""
    folders = ([bundled_rules_dir()] if include_bundled else []) + [Path(d) for d in dirs]
    problems: list[Problem] = []
    phases: dict[str, str] = {}
    causes: dict[str, dict[str, Any]] = {}
    rules: dict[str, dict[str, dict[str, Any]]] = {}
    tables: dict[str, dict[Any, dict[str, Any]]] = {}
    files: list[str] = []
    overridden: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            problems.append(Problem(str(folder), "", "", "rules folder not found"))
            continue
        causes_path = folder / CAUSES_FILE
        if causes_path.exists():
            p, c = _load_causes(causes_path, problems)
            phases.update(p)
            causes.update(c)
            files.append(str(causes_path))
        for path in sorted(folder.glob("*.y*ml")):
            if path.name in SKIPPED_FILES or path.name == CAUSES_FILE:
                continue
            files.append(str(path))
            for entry in _load_file(path, problems):
                kind = KINDS[entry.kind]
                data = dict(entry.data, _file=entry.file)
                bucket = (tables if kind.is_table else rules).setdefault(entry.kind, {})
                key = entry.key.upper() if isinstance(entry.key, str) and kind.is_table else entry.key
                if key in bucket:
                    previous = bucket[key]["_file"]
                    if Path(previous).parent == path.parent:
                        problems.append(Problem(str(path), str(key), kind.key, f"duplicate id (also in {previous})"))
                        continue
                    overridden.append(f"{key} ({path}) overrides ({previous})")
                bucket[key] = data
    if not causes:
        problems.append(Problem(", ".join(str(f) for f in folders), "", "", f"no {CAUSES_FILE} found"))
    rs = RuleSet(causes=causes, phases=phases, rules=rules, tables=tables, files=files, overridden=overridden)
    if causes:
        _check_references(rs, problems)
    return rs, problems


_CACHE: dict[tuple[Any, ...], RuleSet] = {}


def _fingerprint(dirs: tuple[Path, ...]) -> tuple[Any, ...]:
    """Folders plus every rule file's name, size and mtime: a changed file means a fresh load."""
    parts: list[Any] = []
    for folder in (bundled_rules_dir(), *dirs):
        parts.append(str(folder.resolve()))
        if folder.is_dir():
            for path in sorted(folder.glob("*.y*ml")):
                st = path.stat()
                parts.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(parts)


def load_rules(dirs: Iterable[str | Path] = ()) -> RuleSet:
    """The bundled rules layered with ``dirs``; raises RuleError naming file, rule and field.

    Valid rule sets are cached per process, keyed by the folders and their files' sizes and
    modification times (treat the returned RuleSet as read-only).
    """
    folders = tuple(Path(d) for d in dirs)
    key = _fingerprint(folders)
    if key in _CACHE:
        return _CACHE[key]
    rs, problems = collect(folders)
    if problems:
        shown = "\n  ".join(str(p) for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise RuleError(f"{len(problems)} problem(s) in the rules:\n  {shown}{more}")
    _CACHE[key] = rs
    return rs
