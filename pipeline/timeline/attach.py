"""Which queue manager is behind an address, and channel-less entries placed by address and time.

A responder often logs a failure before it knows the channel name: AMQ9616 names only the
remote host, AMQ9633 may say channel ``????``.  The initiator's log at the same second names the
channel.  Such an entry on queue manager X from address R is given channel C when another
queue manager Y has a failure on C within ``ATTACH_WINDOW_MS`` and either R is one of Y's
addresses or C's connection name on Y points at X - and R does not point at a third one.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import regex

from pipeline.timeline.builder import Row
from pipeline.timeline.rows import NOT_A_CHANNEL_FAILURE, Role

ATTACH_WINDOW_MS = 60 * 1000

_TOKEN = regex.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]*")
_NUMBER = regex.compile(r"\d+")
_IPV4 = regex.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def address_tokens(text: str | None) -> set[str]:
    """Host names and IP addresses in a CONNAME or remote-host string, lower case, ports dropped.

    ``mqb.example.com(1414),qmb-dr.example.com(1414)`` -> both names and their first labels.
    """
    if not text:
        return set()
    found: set[str] = set()
    for token in _TOKEN.findall(text.lower()):
        token = token.strip(".:-_")
        if not token or _NUMBER.fullmatch(token):
            continue
        found.add(token)
        if not _IPV4.fullmatch(token) and ":" not in token and "." in token:
            found.add(token.split(".", 1)[0])
    return found


@dataclass
class AddressBook:
    """Names and addresses known for each queue manager."""

    names: dict[str, set[str]] = field(default_factory=dict)

    def add(self, qmgr: str, tokens: Iterable[str]) -> None:
        self.names.setdefault(qmgr, set()).update(tokens)

    def owners(self, tokens: set[str]) -> set[str]:
        return {qmgr for qmgr, names in self.names.items() if names & tokens}

    def points_to(self, tokens: set[str], qmgr: str) -> bool:
        return bool(tokens & self.names.get(qmgr, set()))


def build_address_book(rows: Sequence[Row]) -> AddressBook:
    """Host names from each log's header; addresses learned from named channels.

    A row on X for channel C with remote address or connection name R teaches "R is Y" when C
    is seen on exactly one other queue manager Y (an initiator's CONNAME names the partner's
    host, a responder's channel status shows the partner's address).
    """
    book = AddressBook()
    ends: dict[str, set[str]] = {}
    for row in rows:
        if row.qmgr:
            book.add(row.qmgr, {row.qmgr.lower()})
            if row.host:
                book.add(row.qmgr, address_tokens(row.host))
            if row.channel and row.attached_via is None:
                ends.setdefault(row.channel, set()).add(row.qmgr)
    for row in rows:
        if not (row.qmgr and row.channel) or row.attached_via is not None:
            continue
        if not (row.remote_address or row.conname):
            continue
        others = ends.get(row.channel, set()) - {row.qmgr}
        if len(others) == 1:
            # an initiator's CONNAME names its partner's host; a responder's names the partner's address
            partner = next(iter(others))
            book.add(partner, address_tokens(row.remote_address) | address_tokens(row.conname))
    return book


def address_book_from_facts(
    qmgrs: Iterable[str],
    hosts: Iterable[tuple[str, str]],
    ends: dict[str, set[str]],
    addresses: Iterable[tuple[str, str, str | None, str | None]],
) -> AddressBook:
    """``build_address_book`` from distinct values instead of rows (the scan keeps only those).

    ``hosts`` holds (qmgr, host), ``ends`` channel -> queue managers naming it, ``addresses``
    (qmgr, channel, remote address, connection name) of rows naming a channel; every value taken
    from rows before any channel was attached, as ``build_address_book`` reads them."""
    book = AddressBook()
    for qmgr in qmgrs:
        book.add(qmgr, {qmgr.lower()})
    for qmgr, host in hosts:
        book.add(qmgr, address_tokens(host))
    for qmgr, channel, remote, conname in addresses:
        others = ends.get(channel, set()) - {qmgr}
        if len(others) == 1:
            book.add(next(iter(others)), address_tokens(remote) | address_tokens(conname))
    return book


def conname_tokens(rows: Iterable[Row]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    tokens: dict[str, set[str]] = {}   # few distinct connection names, many rows
    for row in rows:
        if row.qmgr and row.channel and (conname := row.conname):
            if conname not in tokens:
                tokens[conname] = address_tokens(conname)
            found.setdefault((row.qmgr, row.channel), set()).update(tokens[conname])
    return found


def attach_by_partner(rows: Sequence[Row], book: AddressBook,
                      connames: dict[tuple[str, str], set[str]] | None = None,
                      probe_addresses: Iterable[str | None] = ()) -> int:
    """Name the channel of channel-less failure entries from the partner's failures at that time.

    ``connames`` and ``probe_addresses`` add what rows that are not in ``rows`` say: connection
    name tokens per (qmgr, channel) and the remote addresses of listener probes."""
    failures: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        if row.channel and row.qmgr and row.role is Role.FAILURE and not row.status_row:
            failures.setdefault((row.qmgr, row.channel), []).append(row.ts)
    for stamps in failures.values():
        stamps.sort()
    found = conname_tokens(rows)
    for key, tokens in (connames or {}).items():
        found.setdefault(key, set()).update(tokens)
    connames = found
    # addresses that probe listeners (health checks, scanners) never stand for a partner
    probes: set[str] = set()
    for address in probe_addresses:
        probes |= address_tokens(address)
    for row in rows:
        if row.cause in NOT_A_CHANNEL_FAILURE:
            probes |= address_tokens(row.remote_address)
    attached = 0
    for row in rows:
        if row.channel or row.status_row or row.role is not Role.FAILURE or not row.qmgr:
            continue
        remote = address_tokens(row.remote_address)
        remote_owners = book.owners(remote) - {row.qmgr}
        if not remote_owners and remote & probes:
            continue
        best: tuple[int, int, str] | None = None
        for (other_qmgr, channel), stamps in failures.items():
            if other_qmgr == row.qmgr:
                continue
            by_address = other_qmgr in remote_owners
            if remote_owners and not by_address:
                continue  # the address names a different queue manager
            by_conname = book.points_to(connames.get((other_qmgr, channel), set()), row.qmgr)
            if not (by_address or by_conname):
                continue
            distance = _nearest(stamps, row.ts)
            if distance is None or distance > ATTACH_WINDOW_MS:
                continue
            candidate = (distance, -(int(by_address) + int(by_conname)), channel)
            if best is None or candidate < best:
                best = candidate
        if best is not None:
            row.channel = best[2]
            row.attached_via = "partner"
            attached += 1
    return attached


def _nearest(stamps: list[int], ts: int) -> int | None:
    if not stamps:
        return None
    at = bisect.bisect_left(stamps, ts)
    options = [abs(stamps[i] - ts) for i in (at - 1, at) if 0 <= i < len(stamps)]
    return min(options) if options else None
