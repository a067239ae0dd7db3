"""Experimental: the fast path's field extraction done by Arrow's RE2 kernels, a region at a time.

``fastpath._Parser.ascii_region`` runs one Python regex match per entry and builds each row in
Python.  Here an all-ASCII region is cut at its trailer lines into a string array of entries
(zero copy over the region's bytes) and ``pyarrow.compute.extract_regex`` reads every header field,
the id, summary, explanation and action of all entries in one call.  RE2 (linear-time) has no
look-arounds, so the fast regex's line guards become whole-entry counts checked by kernels: an
entry is taken here only when it has exactly one date-and-time line start, one ``AMQnnnn:`` line
start and one ``-----`` line start, and no control byte other than tab and newline (so RE2's and
Python's ideas of whitespace agree).  Anything else - no match, a flagged entry, a heading check or
a date the Python code would refuse - goes through ``fastpath``'s own per-entry code for that entry,
which falls back to the reference parser as before, so results stay those of the reference.

Still per entry in Python: the timestamp (cached per header date/time), the channel/conname from
insert slots (``_Parser.names``), the content key and the row tuple.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.ingest import dates, fastpath, textlog
from pipeline.ingest.records import FileContext
from pipeline.ingest.slots import SlotTable

_VALUE = r"[^()\n]*(?:\([^()\n]*\)[^()\n]*)*"
_SP = r"[ \t]"


def _pair(key: str, name: str) -> str:
    # the value is captured with its closing ")" so that an absent pair ("") and an empty one (")")
    # differ: extract_regex gives "" for a group that did not take part
    return rf"(?:[ \t\n]*{key} ?\((?P<{name}>{_VALUE}\)))?"


_UPPER_HEADING = (
    r"[ \t]*(?:[0-9_]*[A-Z][A-Z0-9_]*(?:[ \t][A-Z0-9_]+)?|[0-9_]+[ \t][0-9_]*[A-Z][A-Z0-9_]*)"
    r"[ \t]?:[ \t]*\n"
)
# fastpath._ENTRY_USUAL without its guards (replaced by the counts below), restricted to what
# fastpath._Parser.entry accepts (severity in IWEST, no ":" in the summary); anchored to the entry.
ENTRY_RE2 = (
    r"\A(?:[ \t]*\n)*[ \t]*"
    r"(?P<htime>(?P<date>\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4})[ \t]+(?P<time>\d{1,2}[:.]\d{2}[:.]\d{2})"
    r"(?:[ \t]*(?P<ampm>[AaPp]\.?[Mm]\.?))?)"
    r"[ \t]*-[ \t]*"
    r"(?:[ \t\n]*Process ?\((?P<pid>\d{1,18})(?:\.(?P<tid>\d{1,18}))?\))?"
    + _pair("User", "user")
    + _pair("Program", "program")
    + _pair("Host", "host")
    + _pair("Installation", "installation")
    + _pair("VRMF", "vrmf")
    + _pair("QMgr", "qmgr")
    + r"(?:[ \t\n]*Time ?\((?P<tvalue>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\))?"
    + _pair("RemoteHost", "remote")
    + r"(?:[ \t\n]*ArithInsert1 ?\((?P<a1>\d{1,18})\))?"
    + r"(?:[ \t\n]*ArithInsert2 ?\((?P<a2>\d{1,18})\))?"
    + _pair("CommentInsert1", "c1")
    + _pair("CommentInsert2", "c2")
    + _pair("CommentInsert3", "c3")
    + r"[ \t]*\n(?:[ \t]*\n)*"
    r"[ \t]*AMQ(?P<number>\d{4})(?P<letter>[IWEST])?:[ \t]?"
    r"(?P<summary>[^\n:]*(?:\n[ \t]*[^ \t\n][^\n:]*)*)\n[ \t]*\n"
    r"(?:[ \t]*\n)*[ \t]*(?P<heading>[^ \t\n][^\n]*)\n"
    r"(?P<expl>(?:[^\n]*\n)*)" + _UPPER_HEADING + r"(?P<action>(?:[^\n]*\n)*)"
    r"-----(?: (?P<mfile>[^ \t\n:]{1,200}) : (?P<mline>[0-9]{1,9}) )?-*[ \t]*\n\z"
)
_DATE_LINE = r"(?m)^[ \t]*\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}[ \t]+\d{1,2}[:.]\d{2}[:.]\d{2}"
_AMQ_LINE = r"(?m)^[ \t]*AMQ\d{4}[A-Z]?:"
_DASH_LINE = r"(?m)^-----"
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
# a trailer line after a newline (the lookahead lets back-to-back trailer lines all be found)
_TRAILER_AFTER_NL = re.compile(rb"\n-----(?: [^\s:]{1,200} : [0-9]{1,9} )?-*[ \t]*(?=\n)")

_VALUE_FIELDS = ("user", "program", "host", "installation", "vrmf", "qmgr", "remote", "c1", "c2", "c3")
_OPTIONAL_FIELDS = ("ampm", "pid", "tid", "tvalue", "a1", "a2", "letter", "mfile")


def _none_if_empty(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _clean(arr: pa.Array) -> pa.Array:
    """``textlog._clean`` for entries without control bytes: whitespace runs to one blank, trimmed."""
    return _none_if_empty(pc.utf8_trim(pc.replace_substring_regex(arr, r"[ \t\n]+", " "), " "))


def _entry_ends(region: bytes) -> list[int]:
    """End offsets (after the newline) of every trailer line in a region that ends with one."""
    ends = []
    m = textlog._TRAILER_AT_B.match(region)
    if m is not None and region[m.end() - 1 : m.end()] == b"\n":
        ends.append(m.end())
    ends.extend(m.end() + 1 for m in _TRAILER_AFTER_NL.finditer(region))
    return ends


class _ArrowParser(fastpath._Parser):
    def ascii_region(self, data: bytes, begin: int, end: int, offset: int, line: int) -> None:
        region = data[begin:end]
        ends = _entry_ends(region)
        if not ends or ends[-1] != len(region):  # not cut after a trailer line: the per-entry code
            super().ascii_region(data, begin, end, offset, line)
            return
        starts = [0, *ends[:-1]]
        entries = pa.StringArray.from_buffers(
            len(ends), pa.array(starts + [ends[-1]], pa.int32()).buffers()[1], pa.py_buffer(region)
        )
        fields = pc.extract_regex(entries, ENTRY_RE2)
        ok = pc.and_(
            pc.and_(
                pc.is_valid(fields),
                pc.equal(pc.count_substring_regex(entries, _DATE_LINE), 1),
            ),
            pc.and_(
                pc.and_(
                    pc.equal(pc.count_substring_regex(entries, _AMQ_LINE), 1),
                    pc.equal(pc.count_substring_regex(entries, _DASH_LINE), 1),
                ),
                pc.invert(pc.match_substring_regex(entries, _CONTROL)),
            ),
        )
        heading = pc.utf8_rtrim_whitespace(pc.struct_field(fields, "heading"))
        ok = pc.and_(
            ok,
            pc.and_(pc.ends_with(heading, ":"), pc.less_equal(pc.utf8_length(heading), 60)),
        )
        ok = pc.fill_null(ok, False)
        col = {name: pc.struct_field(fields, name) for name in fields.type.names if name != "heading"}
        for name in _VALUE_FIELDS:
            col[name] = pc.utf8_slice_codeunits(_none_if_empty(col[name]), 0, -1)
        for name in _OPTIONAL_FIELDS:
            col[name] = _none_if_empty(col[name])
        for name in ("pid", "tid", "a1", "a2"):
            col[name] = pc.cast(col[name], pa.int64())
        col["message"] = _clean(col.pop("summary"))
        col["explanation"] = _clean(col.pop("expl"))
        col["action"] = _clean(col.pop("action"))
        col["module"] = pc.binary_join_element_wise(col.pop("mfile"), col.pop("mline"), ":")
        col["msg_id"] = pc.binary_join_element_wise("AMQ", col.pop("number"), "")
        lines = pc.count_substring(entries, "\n").to_pylist()
        names = list(col)
        values = zip(*(col[n].to_pylist() for n in names), strict=True)
        at = {n: i for i, n in enumerate(names)}
        self._rows(data, begin, offset, line, starts, ends, ok.to_pylist(), values, at, lines)

    def _rows(
        self,
        data: bytes,
        begin: int,
        offset: int,
        line: int,
        starts: list[int],
        ends: list[int],
        oks: list[bool],
        values: Iterator[tuple[Any, ...]],
        at: dict[str, int],
        lines: list[int],
    ) -> None:
        i_date, i_time, i_ampm, i_htime, i_tv = at["date"], at["time"], at["ampm"], at["htime"], at["tvalue"]
        i_pid, i_tid, i_user, i_prog, i_host = at["pid"], at["tid"], at["user"], at["program"], at["host"]
        i_inst, i_vrmf, i_qmgr, i_remote = at["installation"], at["vrmf"], at["qmgr"], at["remote"]
        i_a1, i_a2, i_c1, i_c2, i_c3 = at["a1"], at["a2"], at["c1"], at["c2"], at["c3"]
        i_msg, i_expl, i_act, i_mod, i_id, i_sev = (
            at["message"],
            at["explanation"],
            at["action"],
            at["module"],
            at["msg_id"],
            at["letter"],
        )
        ctx = self.ctx
        path = ctx.source_path
        cache = self.local_cache
        b = self.batch
        rows, keys = b.rows, b.keys
        for s, e, good, v, nl in zip(starts, ends, oks, values, lines, strict=True):
            timestamp = None
            if good:
                tv = v[i_tv]
                if tv is not None:
                    try:
                        timestamp = dates.parse_iso_utc(tv)
                        source = "time_field"
                    except dates.DateError:
                        good = False
                else:
                    ckey = (v[i_date], v[i_time], v[i_ampm])
                    timestamp = cache.get(ckey)
                    if timestamp is None:
                        probe: dict[str, Any] = {}
                        full = f"{v[i_time]} {v[i_ampm]}" if v[i_ampm] else v[i_time]
                        if textlog.resolve_timestamp(probe, None, v[i_date], full, ctx, []):
                            good = False
                        else:
                            timestamp = cache[ckey] = probe["timestamp"]
                    source = "header_local"
            if not good:
                fastpath._Parser.ascii_region(self, data, begin + s, begin + e, offset, line)
                line += nl
                continue
            message, explanation, msg_id = v[i_msg], v[i_expl], v[i_id]
            channel, conname, remote = self.names(
                msg_id, message, explanation, v[i_remote], v[i_c1], v[i_c2], v[i_c3]
            )
            rows.append(
                (
                    path,
                    "text",
                    offset + begin + s,
                    line,
                    v[i_qmgr],
                    v[i_host],
                    v[i_inst],
                    v[i_vrmf],
                    v[i_pid],
                    v[i_tid],
                    v[i_prog],
                    v[i_user],
                    timestamp,
                    source,
                    v[i_htime],
                    msg_id,
                    v[i_sev],
                    message,
                    explanation,
                    v[i_act],
                    v[i_a1],
                    v[i_a2],
                    v[i_c1],
                    v[i_c2],
                    v[i_c3],
                    remote,
                    channel,
                    conname,
                    v[i_mod],
                    None,
                    "utf-8",
                    None,
                )
            )
            keys.append(fastpath._KEY_PREFIX + data[begin + s : begin + e].strip())
            b.fast_rows += 1
            line += nl


def parse_columnar(
    stream: BinaryIO,
    ctx: FileContext,
    start_offset: int = 0,
    start_line: int = 1,
    include_partial: bool = True,
    slots: SlotTable | None = None,
    read_size: int = fastpath.READ_SIZE,
) -> Iterator[fastpath.ColumnBatch]:
    """``fastpath.parse_columnar`` with the Arrow extraction (same batches, rows and rejects)."""
    return fastpath.parse_columnar(
        stream, ctx, start_offset, start_line, include_partial, slots, read_size, parser_class=_ArrowParser
    )
