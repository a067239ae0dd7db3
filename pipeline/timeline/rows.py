"""What one classified row means to the timeline: its role and how specific it is.

A row is either a log entry (``source_format`` text/json/flat) or a channel-status /
last-error export row (every other format).  Both carry a phase and a cause from the
classify stage; the timeline only adds two judgements:

* the *role* of the row for its channel: a failure, a start (the channel ran again), an
  operator stop, or nothing the timeline needs;
* its *rank*: how directly it names the cause.  The decisive row of an episode is the one
  with the lowest rank (a specific entry beats an echo of the partner's failure, which beats
  an AMQ9999 summary, which beats an unknown).
"""

from __future__ import annotations

import functools
from enum import IntEnum

import regex

from pipeline.timeline.vocab import FAILURE_PHASES

LOG_FORMATS = frozenset({"text", "json", "flat"})

# Entries that only report that the *partner* failed: the partner's log holds the reason.
# AMQ9665 closed by remote end, AMQ9641 remote CipherSpec error, AMQ9643 remote SSL peer name
# error; the z/OS CHIN messages follow the AMQ96nn numbering (CSQX641E, CSQX643E).
ECHO_MSG_IDS = frozenset({"AMQ9665", "AMQ9641", "AMQ9643", "CSQX641", "CSQX643", "CSQX665"})
ECHO_CAUSES = frozenset({"remote_closed_handshake"})

# Summaries whose meaning lies in the entries before them (same process, same channel).
SUMMARY_MSG_IDS = frozenset({"AMQ9999", "CSQX599"})
SUMMARY_CAUSES = frozenset({"channel_ended_abnormally"})

START_CAUSES = frozenset({"channel_started", "channel_ended"})  # AMQ9001 "ended normally" proves it ran
STOP_CAUSES = frozenset({"channel_stopped"})
NOT_A_CHANNEL_FAILURE = frozenset({"listener_probe"})  # scanners and health checks: noise, never an episode
RUNNING_STATUSES = frozenset({"RUNNING"})

_MSG_ID = regex.compile(r"(AMQ\d{4}|CSQX\d{3}|JMSWMQ\d{4}|JMSCMQ\d{4})")
_NO_NAME = regex.compile(r"\?*")


class Role(IntEnum):
    IGNORE = 0
    FAILURE = 1
    START = 2
    STOP = 3


class Rank(IntEnum):
    SPECIFIC = 0
    ECHO = 1
    OTHER_FAILURE = 2
    SUMMARY = 3
    UNKNOWN = 4


def base_msg_id(msg_id: object) -> str | None:
    """``AMQ9633E`` -> ``AMQ9633``; ``CSQX631E`` -> ``CSQX631``; other ids unchanged."""
    if not isinstance(msg_id, str) or not msg_id:
        return None
    found = _MSG_ID.match(msg_id.strip().upper())
    return found.group(1) if found else msg_id.strip().upper()


def clean_name(value: object) -> str | None:
    """Channel names MQ could not know yet are written as ``????``; treat them as absent."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or _NO_NAME.fullmatch(value):
        return None
    return value


def is_status_row(source_format: object) -> bool:
    return not (isinstance(source_format, str) and source_format in LOG_FORMATS)


@functools.lru_cache(maxsize=4096)
def role_of(phase: object, cause: object, status: object, status_row: bool) -> Role:
    cause = cause if isinstance(cause, str) else ""
    phase = phase if isinstance(phase, str) else ""
    if cause in NOT_A_CHANNEL_FAILURE:
        return Role.IGNORE
    if cause in START_CAUSES:
        return Role.START
    if cause in STOP_CAUSES:
        return Role.STOP
    if phase in FAILURE_PHASES:
        return Role.FAILURE
    if status_row and isinstance(status, str) and status.strip().upper() in RUNNING_STATUSES:
        return Role.START
    return Role.IGNORE


@functools.lru_cache(maxsize=4096)
def rank_of(msg_id: str | None, phase: object, cause: object) -> Rank:
    cause = cause if isinstance(cause, str) else ""
    if msg_id in ECHO_MSG_IDS or cause in ECHO_CAUSES:
        return Rank.ECHO
    if msg_id in SUMMARY_MSG_IDS or cause in SUMMARY_CAUSES:
        return Rank.SUMMARY
    if cause == "unknown" or not cause:
        return Rank.UNKNOWN
    if phase in ("network", "handshake", "post_tls"):
        return Rank.SPECIFIC
    return Rank.OTHER_FAILURE
