"""Both ends of a channel: pair episodes across queue managers and decide whose log holds the cause.

Sender/receiver and client/server-connection ends share the channel name.  Two episodes pair
when they are on different queue managers, carry the same channel name and overlap in time
(each widened by ``PAIR_SLACK_MS``); a connection name that points at a *third* queue manager
vetoes the pair, one that points at the partner is preferred.  Pairs are taken best-first
(connection-name agreement, then overlap, then closeness of starts), one to one; an episode
left over takes its best overlapping partner even if that one is already paired.

Cause side: ``local`` when this end's own log holds a specific entry; ``remote`` when this end
holds only an echo or summary (AMQ9665, AMQ9641, AMQ9643, AMQ9999) and the partner's episode
holds the specific entry - the episode then reports the partner's phase and cause, and keeps
its own reading in ``local_cause``; ``unknown`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.timeline.attach import AddressBook, address_tokens
from pipeline.timeline.builder import Episode
from pipeline.timeline.rows import Rank

PAIR_SLACK_MS = 60 * 1000


def _conname_tokens(episode: Episode) -> set[str]:
    tokens: set[str] = set()
    for name in {row.conname for row in episode.rows if row.conname}:
        tokens |= address_tokens(name)
    return tokens


def _owners(episode: Episode, book: AddressBook, cache: dict[int, set[str]]) -> set[str]:
    """Queue managers other than this end that its connection names point at (cached per episode)."""
    key = id(episode)
    if key not in cache:
        cache[key] = book.owners(_conname_tokens(episode)) - {episode.qmgr}
    return cache[key]


def _agreement(a: Episode, b: Episode, book: AddressBook, cache: dict[int, set[str]]) -> int | None:
    """1 when a connection name points at the other end, 0 when silent, None when it points elsewhere."""
    score = 0
    for this, other in ((a, b), (b, a)):
        owners = _owners(this, book, cache)
        if not owners:
            continue
        if other.qmgr in owners:
            score = 1
        else:
            return None
    return score


def pair_episodes(episodes: Sequence[Episode], book: AddressBook) -> None:
    by_channel: dict[str, list[Episode]] = {}
    for episode in episodes:
        by_channel.setdefault(episode.channel, []).append(episode)
    cache: dict[int, set[str]] = {}
    for members in by_channel.values():
        if len({m.qmgr for m in members}) < 2:
            continue
        members.sort(key=lambda e: (e.start, e.qmgr))
        candidates: list[tuple[tuple[int, int, int], int, int]] = []
        # sweep by start: only episodes starting before this one ends (plus slack) can overlap it
        for i, a in enumerate(members):
            a_end = a.end
            for j in range(i + 1, len(members)):
                b = members[j]
                if b.start - a_end > 2 * PAIR_SLACK_MS:
                    break
                if a.qmgr == b.qmgr:
                    continue
                overlap = min(a_end, b.end) - max(a.start, b.start) + 2 * PAIR_SLACK_MS
                if overlap <= 0:
                    continue
                agreement = _agreement(a, b, book, cache)
                if agreement is None:
                    continue
                candidates.append(((agreement, overlap, -abs(a.start - b.start)), i, j))
        candidates.sort(key=lambda item: item[0], reverse=True)
        for _, i, j in candidates:
            a, b = members[i], members[j]
            if a.partner is None and b.partner is None:
                a.partner, b.partner = b, a
        for _, i, j in candidates:
            a, b = members[i], members[j]
            if a.partner is None:
                a.partner = b
            if b.partner is None:
                b.partner = a


def decide_sides(episodes: Sequence[Episode]) -> None:
    """Fill ``final`` and ``cause_side`` from each end's own decisive row and its partner's."""
    for episode in episodes:
        own = episode.decisive
        assert own is not None, "finish episodes before deciding sides"
        partner = episode.partner
        if own.rank is Rank.SPECIFIC:
            episode.final, episode.cause_side = own, "local"
        elif partner is not None and partner.decisive is not None and partner.decisive.rank is Rank.SPECIFIC:
            episode.final, episode.cause_side = partner.decisive, "remote"
        else:
            episode.final, episode.cause_side = own, "unknown"


def partner_qmgr_without_episode(
    episode: Episode, book: AddressBook, channel_ends: dict[str, set[str]]
) -> str | None:
    """The other end's queue manager when it had no overlapping episode (or none at all)."""
    others = channel_ends.get(episode.channel, set()) - {episode.qmgr}
    if len(others) == 1:
        return next(iter(others))
    owners = book.owners(_conname_tokens(episode)) - {episode.qmgr}
    if len(owners) == 1:
        return next(iter(owners))
    return None
