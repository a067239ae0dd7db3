"""Distinguished names and MQ's SSLPEER matching.

MQ compares an SSLPEER filter (channel SSLPEER, CHLAUTH SSLPEERMAP SSLPEER/SSLCERTI) with the
partner certificate's subject DN like this:

* only the attributes named in the filter must be present and match; the others are ignored;
* the order of different attributes does not matter;
* values compare case-insensitively; a value may end (or start) with `*` as a wildcard;
* an attribute repeated in the filter (OU, DC ...) matches the certificate's values of that
  attribute in order, from the first;
* attribute names have synonyms (`S`/`SP`/`ST`, `UID`/`USERID`, `E`/`EMAIL`/`MAIL`, `PC`/`POSTALCODE`);
* `SERIALNUMBER` is the certificate's serial number (`00:94:71:...`), not a DN attribute.

The parser is a single left-to-right scan (quotes and backslash escapes), linear in the input.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import ConfigError

SYNONYMS = {
    "S": "ST", "SP": "ST", "ST": "ST",
    "UID": "UID", "USERID": "UID",
    "E": "MAIL", "EMAIL": "MAIL", "EMAILADDRESS": "MAIL", "MAIL": "MAIL",
    "PC": "POSTALCODE", "POSTALCODE": "POSTALCODE",
    "DNQ": "DNQ", "DNQUALIFIER": "DNQ",
    "SN": "SN", "SURNAME": "SN",
    "T": "T", "TITLE": "T",
}
KNOWN = {
    "CN", "OU", "O", "L", "ST", "C", "DC", "STREET", "SERIALNUMBER", "UID", "MAIL", "POSTALCODE", "DNQ",
    "SN", "T", "GIVENNAME", "UNSTRUCTUREDNAME", "UNSTRUCTUREDADDRESS",
}


@dataclass(frozen=True)
class Rdn:
    attr: str   # canonical upper-case name
    value: str  # unescaped


def canonical_attr(name: str) -> str:
    upper = name.strip().upper()
    return SYNONYMS.get(upper, upper)


def parse_dn(text: str, where: str = "DN") -> list[Rdn]:
    """`CN=a, OU="x,y", O=b` -> [Rdn(CN,a), Rdn(OU,x,y), Rdn(O,b)].  `,` and `;` separate pairs."""
    out: list[Rdn] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        eq = i
        while eq < n and text[eq] not in "=,;":
            eq += 1
        if eq >= n or text[eq] != "=":
            raise ConfigError(f"{where}: {text!r}: expected ATTRIBUTE=value at character {i + 1}")
        attr = canonical_attr(text[i:eq])
        if not attr or not all(c.isalnum() or c in ".-" for c in attr):
            raise ConfigError(f"{where}: {text!r}: bad attribute name {text[i:eq]!r}")
        i = eq + 1
        while i < n and text[i] == " ":
            i += 1
        chars: list[str] = []
        if i < n and text[i] == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= n:
                raise ConfigError(f"{where}: {text!r}: unterminated quoted value")
            i += 1
            while i < n and text[i] not in ",;":
                i += 1
        else:
            while i < n and text[i] not in ",;":
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
        out.append(Rdn(attr, "".join(chars).strip()))
        i += 1  # the separator
    return out


def format_dn(rdns: list[Rdn]) -> str:
    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")

    return ",".join(f"{r.attr}={esc(r.value)}" for r in rdns)


def value_matches(pattern: str, value: str) -> bool:
    """Case-insensitive; `*` at the end (prefix) or the start (suffix) of the pattern is a wildcard."""
    p, v = pattern.strip().casefold(), value.strip().casefold()
    if p == "*":
        return True
    if p.endswith("*") and p.startswith("*") and len(p) > 1:
        return p[1:-1] in v
    if p.endswith("*"):
        return v.startswith(p[:-1])
    if p.startswith("*"):
        return v.endswith(p[1:])
    return p == v


def _normalise_serial(value: str) -> str:
    return value.replace(":", "").replace(" ", "").lstrip("0").casefold()


@dataclass(frozen=True)
class DnMatch:
    ok: bool
    reason: str = ""


def match_peer(filter_text: str, subject: list[Rdn], serial: str = "", where: str = "SSLPEER") -> DnMatch:
    """Does the certificate with `subject` (and `serial`, colon hex) satisfy the SSLPEER filter?"""
    wanted = parse_dn(filter_text, where)
    if not wanted:
        return DnMatch(True)
    by_attr: dict[str, list[str]] = {}
    for rdn in subject:
        by_attr.setdefault(rdn.attr, []).append(rdn.value)
    seen: dict[str, int] = {}
    for rdn in wanted:
        if rdn.attr == "SERIALNUMBER" and serial:
            if "*" in rdn.value:
                ok = value_matches(rdn.value.replace(":", ""), serial.replace(":", ""))
            else:
                ok = _normalise_serial(rdn.value) == _normalise_serial(serial)
            if not ok:
                return DnMatch(False, f"SERIALNUMBER={rdn.value} does not match the serial {serial}")
            continue
        index = seen.get(rdn.attr, 0)
        seen[rdn.attr] = index + 1
        values = by_attr.get(rdn.attr, [])
        if index >= len(values):
            return DnMatch(False, f"{rdn.attr}={rdn.value} is required but the certificate has no"
                                  f"{' further' if index else ''} {rdn.attr}")
        if not value_matches(rdn.value, values[index]):
            return DnMatch(False, f"{rdn.attr}={rdn.value} does not match {rdn.attr}={values[index]}")
    return DnMatch(True)
