"""CHLAUTH evaluation for an inbound channel: which record applies, and does it block the partner.

Order (docs/preflight.md names the assumptions): BLOCKADDR first (before TLS, before the channel name
is known); then the mapping record (SSLPEERMAP, USERMAP, QMGRMAP, ADDRESSMAP) of the most specific
matching channel profile - an identity match (SSL peer, client user, queue manager name) ranks before
an address match; USERSRC(NOACCESS) blocks, MAP sets the user, CHANNEL keeps the channel's user; last,
the BLOCKUSER record of the most specific matching profile is checked against the user the channel
would run as (`*MQADMIN` = a privileged user).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.preflight.dn import Rdn, match_peer

MAP_TYPES = {"SSLPEERMAP": 0, "USERMAP": 1, "QMGRMAP": 1, "ADDRESSMAP": 2}


def wildcard_match(pattern: str, text: str, casefold: bool = False) -> bool:
    """`*` matches any run of characters (anywhere in the pattern).  Greedy two-pointer scan with a
    single back-track point: O(len(pattern) * len(text)) at worst, no regex."""
    if casefold:
        pattern, text = pattern.casefold(), text.casefold()
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] != "*" and pattern[p] == text[t]:
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def profile_specificity(profile: str) -> tuple[int, int]:
    """Higher is more specific: exact names first, then more literal characters."""
    return (0 if "*" in profile else 1, len(profile.replace("*", "")))


def address_matches(pattern: str, address: str, host: str = "") -> bool:
    """CHLAUTH generic address: `*`, `10.1.0.*`, `10.1.0.10-20`, or a host-name pattern (`*.example.com`)."""
    pattern = pattern.strip()
    if not pattern or pattern == "*":
        return True
    if any(c.isalpha() for c in pattern.replace("*", "")):
        return bool(host) and wildcard_match(pattern, host, casefold=True)
    parts, octets = pattern.split("."), address.split(".")
    if not address:
        return False
    for i, part in enumerate(parts):
        if part == "*":
            if i == len(parts) - 1:
                return True
            continue
        if i >= len(octets):
            return False
        if "-" in part:
            low, _, high = part.partition("-")
            if not (low.isdigit() and high.isdigit() and octets[i].isdigit()):
                return False
            if not int(low) <= int(octets[i]) <= int(high):
                return False
        elif part != octets[i]:
            return False
    return len(parts) == len(octets)


def _split_list(value: str) -> list[str]:
    return [v.strip().strip("'") for v in value.split(",") if v.strip()]


@dataclass(frozen=True)
class Partner:
    """What the receiving queue manager knows about an inbound connection."""

    address: str
    host: str = ""
    qmgr: str = ""            # QMGRMAP: the partner queue manager's name ('' for clients)
    client_user: str = ""     # USERMAP / SVRCONN: the user id a client asserts
    subject: tuple[Rdn, ...] | None = None
    issuer: tuple[Rdn, ...] | None = None
    serial: str = ""


@dataclass(frozen=True)
class Verdict:
    blocked: bool
    cause: str = ""           # address_blocked | sslpeermap_blocked | chlauth_blocked
    check_id: str = ""
    warn_only: bool = False
    rule: str = ""            # the record, as text
    user: str = ""            # the user the channel would run as
    detail: str = ""


def _record_text(rec: dict[str, str]) -> str:
    keys = ("TYPE", "ADDRESS", "ADDRLIST", "SSLPEER", "SSLCERTI", "CLNTUSER", "QMNAME", "USERLIST", "USERSRC",
            "MCAUSER", "WARN")
    parts = [f"CHLAUTH({rec.get('CHLAUTH', '')})"]
    parts += [f"{k}({rec[k]})" for k in keys if rec.get(k)]
    return " ".join(parts)


def evaluate(records: list[dict[str, str]], channel: str, chltype: str, channel_mcauser: str, partner: Partner,
             admin_users: list[str], mca_user: str) -> Verdict:
    for rec in records:
        if rec.get("TYPE") == "BLOCKADDR":
            for pattern in _split_list(rec.get("ADDRLIST", "")):
                if address_matches(pattern, partner.address, partner.host):
                    return Verdict(True, "address_blocked", "chlauth.blockaddr", rec.get("WARN") == "YES",
                                   _record_text(rec), detail=f"address {partner.address} matches {pattern}")
    candidates = []
    for rec in records:
        rtype = rec.get("TYPE", "")
        if rtype not in MAP_TYPES or not wildcard_match(rec.get("CHLAUTH", ""), channel):
            continue
        if rtype == "USERMAP" and chltype != "SVRCONN":
            continue
        if rtype == "QMGRMAP" and chltype == "SVRCONN":
            continue
        if not _criteria_match(rec, rtype, partner):
            continue
        candidates.append((profile_specificity(rec.get("CHLAUTH", "")), -MAP_TYPES[rtype], rec))
    user = channel_mcauser or (partner.client_user if chltype == "SVRCONN" else mca_user)
    if candidates:
        candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
        rec = candidates[0][2]
        source = rec.get("USERSRC", "MAP")
        if source == "NOACCESS":
            cause = "sslpeermap_blocked" if rec.get("TYPE") == "SSLPEERMAP" else "chlauth_blocked"
            return Verdict(True, cause, f"chlauth.{rec.get('TYPE', '').lower()}", rec.get("WARN") == "YES",
                           _record_text(rec),
                           detail=f"the {rec.get('TYPE')} record that applies to the partner has USERSRC(NOACCESS)")
        if source == "MAP" and rec.get("MCAUSER"):
            user = rec["MCAUSER"]
    blockers = [r for r in records if r.get("TYPE") == "BLOCKUSER" and wildcard_match(r.get("CHLAUTH", ""), channel)]
    if blockers:
        rec = max(blockers, key=lambda r: profile_specificity(r.get("CHLAUTH", "")))
        for item in _split_list(rec.get("USERLIST", "")):
            hit = (item.upper() == "*MQADMIN" and user in admin_users) or item == user
            if hit:
                return Verdict(True, "chlauth_blocked", "chlauth.blockuser", rec.get("WARN") == "YES",
                               _record_text(rec), user=user,
                               detail=f"the channel would run as {user!r}, listed by {item}")
    return Verdict(False, user=user)


def _criteria_match(rec: dict[str, str], rtype: str, partner: Partner) -> bool:
    if rec.get("ADDRESS") and not address_matches(rec["ADDRESS"], partner.address, partner.host):
        return False
    if rtype == "SSLPEERMAP":
        if partner.subject is None:
            return False
        if not match_peer(rec.get("SSLPEER", ""), list(partner.subject), partner.serial, "CHLAUTH SSLPEER").ok:
            return False
        if rec.get("SSLCERTI") and (
            partner.issuer is None or not match_peer(rec["SSLCERTI"], list(partner.issuer), "", "CHLAUTH SSLCERTI").ok
        ):
            return False
        return True
    if rtype == "USERMAP":
        return wildcard_match(rec.get("CLNTUSER", ""), partner.client_user)
    if rtype == "QMGRMAP":
        return bool(partner.qmgr) and wildcard_match(rec.get("QMNAME", ""), partner.qmgr)
    return rtype == "ADDRESSMAP" and bool(rec.get("ADDRESS"))
