"""Arrow schemas of the preflight outputs (kept here, not in pipeline/schemas.py; docs/schema.md
section `preflight` documents every column)."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("ms", tz="UTC")

# OUT/preflight/findings.parquet: one row per predicted failure or warning.
PREFLIGHT = pa.schema(
    [
        ("qmgr", pa.string()),              # the end that would detect and log the failure
        ("channel", pa.string()),
        ("chltype", pa.string()),           # that end's channel type
        ("partner_qmgr", pa.string()),      # the other end (queue manager or client name); '' if unknown
        ("partner_channel", pa.string()),
        ("phase", pa.string()),             # network | handshake | post_tls | other (rules/causes.yaml)
        ("cause", pa.string()),             # rules/causes.yaml vocabulary
        ("fix_side", pa.string()),          # local | remote | both (relative to qmgr)
        ("severity", pa.string()),          # error | warning
        ("check_id", pa.string()),          # e.g. cipher.mismatch (docs/preflight.md)
        ("evidence", pa.string()),          # the definitions / certificate facts that decide it
        ("detail", pa.string()),            # one sentence: what goes wrong
    ]
)

# OUT/preflight/certificates.parquet: one row per certificate per key repository.
CERTIFICATES = pa.schema(
    [
        ("owner", pa.string()),             # queue manager or client holding the key repository
        ("label", pa.string()),
        ("personal", pa.bool_()),
        ("subject", pa.string()),
        ("issuer", pa.string()),
        ("serial", pa.string()),            # colon hex
        ("not_before", TS),
        ("not_after", TS),
        ("days_left", pa.int64()),          # whole days from --as-of to not_after (negative: expired)
        ("status", pa.string()),            # ok | expiring | expired | not_yet_valid
        ("renew_by", pa.date32()),          # the last UTC day the certificate is valid
        ("fingerprint", pa.string()),       # SHA-256, colon hex; '' for runmqakm -details input
        ("source", pa.string()),            # file it was read from, relative to the config folder
        ("used_by", pa.list_(pa.string())), # channels that present it (personal certificates)
    ]
)

# OUT/preflight/calendar.parquet: one row per distinct certificate = one event in renewals.ics.
CALENDAR = pa.schema(
    [
        ("uid", pa.string()),               # the VEVENT UID
        ("renew_by", pa.date32()),
        ("subject", pa.string()),
        ("serial", pa.string()),
        ("status", pa.string()),
        ("days_left", pa.int64()),
        ("holders", pa.list_(pa.string())), # owner:label of every key repository holding it
        ("used_by", pa.list_(pa.string())),
        ("summary", pa.string()),           # the VEVENT SUMMARY
    ]
)
