"""The explicit Arrow schemas of every output table.

Each stage writes exactly these columns in this order; ``docs/schema.md`` documents every
column and a test checks the two agree.  Partitioned tables carry a ``date`` partition
column (``date=YYYY-MM-DD`` directories, the UTC day of ``timestamp``) that is not part
of the file schema.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("ms", tz="UTC")

# --- ingest --------------------------------------------------------------------------
EVENTS = pa.schema(
    [
        ("event_id", pa.string()),          # stable content hash (hex); same entry re-read -> same id
        ("source_path", pa.string()),
        ("source_format", pa.string()),     # text | json | flat
        ("source_offset", pa.int64()),      # byte offset of the entry's first byte in the (decompressed) file
        ("source_line", pa.int64()),        # 1-based line number of the entry's first line
        ("qmgr", pa.string()),
        ("host", pa.string()),
        ("installation", pa.string()),
        ("vrmf", pa.string()),
        ("pid", pa.int64()),
        ("tid", pa.int64()),
        ("program", pa.string()),
        ("user", pa.string()),
        ("timestamp", TS),
        ("timestamp_source", pa.string()),  # time_field | ibm_datetime | header_local
        ("header_time", pa.string()),       # the header's date and time as written (text logs)
        ("msg_id", pa.string()),            # AMQ9631 (severity letter split off)
        ("severity", pa.string()),          # I W E S T or null
        ("message", pa.string()),           # the summary line(s), wrapped lines joined
        ("explanation", pa.string()),
        ("action", pa.string()),
        ("arith_insert_1", pa.int64()),
        ("arith_insert_2", pa.int64()),
        ("comment_insert_1", pa.string()),
        ("comment_insert_2", pa.string()),
        ("comment_insert_3", pa.string()),
        ("remote_host", pa.string()),
        ("channel", pa.string()),
        ("conname", pa.string()),
        ("source_module", pa.string()),     # amqccisa.c:954
        ("sequence", pa.string()),          # JSON ibm_sequence (tie-breaker), else null
        ("encoding", pa.string()),          # utf-8 | cp1252 | ...
        ("extra", pa.string()),             # JSON object: header keys/values we do not model, raw non-numeric inserts
    ]
)

REJECTS = pa.schema(
    [
        ("source_path", pa.string()),
        ("source_format", pa.string()),
        ("source_offset", pa.int64()),
        ("source_line", pa.int64()),
        ("reason", pa.string()),
        ("raw", pa.string()),               # bounded (first 4096 characters), decoded with replacement shown as \x escapes
        ("raw_length", pa.int64()),         # bytes in the rejected block
        ("run_id", pa.string()),
    ]
)

CHANNEL_STATUS = pa.schema(
    [
        ("status_id", pa.string()),         # stable content hash
        ("source_path", pa.string()),
        ("source_format", pa.string()),     # chstatus | amqsevt_json | amqsevt_text | csv | jsonl
        ("source_offset", pa.int64()),
        ("qmgr", pa.string()),
        ("channel", pa.string()),
        ("chltype", pa.string()),
        ("conname", pa.string()),
        ("status", pa.string()),            # RUNNING, RETRYING, BINDING ...
        ("substate", pa.string()),
        ("timestamp", TS),                  # last error time, event creation, or CHSTADA/CHSTATI
        ("timestamp_source", pa.string()),
        ("last_error", pa.string()),        # free text (AMQ id, MQRC, Java exception...)
        ("msg_id", pa.string()),            # AMQ/CSQX/JMS id found in last_error, if any
        ("mqrc", pa.int64()),               # reason code found in last_error or the event
        ("event_reason", pa.string()),      # amqsevt: Channel SSL Error ...
        ("reason_qualifier", pa.string()),  # amqsevt: SSL Handshake Error ...
        ("ssl_peer", pa.string()),
        ("ssl_cert_issuer", pa.string()),
        ("ssl_cipher", pa.string()),
        ("ssl_return_code", pa.int64()),
        ("encoding", pa.string()),
        ("extra", pa.string()),             # JSON object: every other column/attribute, kept
    ]
)

# --- classify --------------------------------------------------------------------------
CLASSIFIED = pa.schema(
    [
        ("event_id", pa.string()),          # events.event_id or channel_status.status_id
        ("source_format", pa.string()),     # as in events / channel_status (tells log entries and exports apart)
        ("source_path", pa.string()),
        ("qmgr", pa.string()),
        ("host", pa.string()),
        ("channel", pa.string()),
        ("conname", pa.string()),
        ("timestamp", TS),
        ("msg_id", pa.string()),
        ("severity", pa.string()),
        ("pid", pa.int64()),
        ("tid", pa.int64()),
        ("program", pa.string()),
        ("message", pa.string()),
        ("status", pa.string()),            # channel_status rows only
        ("phase", pa.string()),             # network | handshake | post_tls | info | other
        ("cause", pa.string()),             # vocabulary in rules/causes.yaml
        ("method", pa.string()),            # rule | model | none
        ("rule_id", pa.string()),
        ("confidence", pa.float64()),
        ("model_phase", pa.string()),       # the model's best guess, kept even below threshold
        ("model_cause", pa.string()),
        ("model_confidence", pa.float64()),
        ("context_event_id", pa.string()),  # the entry that gave a summary (AMQ9999/AMQ9638) its meaning
        ("gskit_rc", pa.int64()),
        ("gskit_name", pa.string()),
        ("cert_validation_code", pa.int64()),
        ("cipher_specs", pa.list_(pa.string())),
        ("tls_protocol", pa.string()),
        ("peer_dn", pa.string()),
        ("issuer_dn", pa.string()),
        ("cert_label", pa.string()),
        ("chlauth_type", pa.string()),
        ("chlauth_values", pa.string()),
        ("mqrc", pa.int64()),
        ("mqrc_name", pa.string()),
        ("remote_address", pa.string()),
        ("remote_port", pa.int64()),
        ("os_errno", pa.int64()),
    ]
)

# --- timeline ------------------------------------------------------------------------
EPISODES = pa.schema(
    [
        ("episode_id", pa.string()),
        ("qmgr", pa.string()),
        ("channel", pa.string()),
        ("conname", pa.string()),
        ("start", TS),
        ("end", TS),
        ("phase", pa.string()),
        ("cause", pa.string()),
        ("decisive_event_id", pa.string()),
        ("decisive_msg_id", pa.string()),
        ("event_count", pa.int64()),
        ("retry_count", pa.int64()),
        ("resolved", pa.bool_()),
        ("resolved_at", TS),
        ("partner_qmgr", pa.string()),
        ("partner_episode_id", pa.string()),
        ("cause_side", pa.string()),        # local | remote | unknown
        ("local_cause", pa.string()),       # what this end's own log says (e.g. remote_closed_handshake)
        ("msg_ids", pa.list_(pa.string())), # distinct message ids in the episode, in order of first sight
        ("status_rows", pa.int64()),        # channel_status / last-error rows joined to the episode
        ("summary", pa.string()),           # one sentence for reviewers
    ]
)
