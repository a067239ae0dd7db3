"""The message catalogue the sample generator writes from.

First lines (summaries) follow the message titles in the fact base (``mq-facts.md``,
``mq-messages.csv``), because a parser has to match them; every EXPLANATION and ACTION text
is written here in our own words, in the style of MQ's catalogue.  Placeholders in braces are
filled from an entry's values; inserts that MQ would quote are quoted in the templates.

Titles marked ``recalled=True`` are not verified in the fact base (informational messages
and a few channel messages); they are plausible, not authoritative.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    msg_id: str  # AMQnnnn
    severity: str  # I W E S T
    module: str  # source file and line shown in the trailer: "amqccisa.c : 954"
    summary: str
    explanation: str
    action: str
    recalled: bool = False


def _m(
    msg_id: str,
    severity: str,
    module: str,
    summary: str,
    explanation: str,
    action: str,
    recalled: bool = False,
) -> Message:
    return Message(msg_id, severity, module, summary, explanation, action, recalled)


ENGLISH: dict[str, Message] = {
    m.msg_id: m
    for m in (
        # --- TLS handshake --------------------------------------------------------------
        _m(
            "AMQ9631",
            "E",
            "amqcctca.c : 3710",
            "The CipherSpec negotiated during the SSL handshake does not match the required "
            "CipherSpec for channel '{channel}'.",
            "The TLS handshake with the remote end at '{host}' completed, but the CipherSpec "
            "agreed with the partner, '{negotiated}', is not the CipherSpec that channel "
            "'{channel}' requires, '{required}'. The channel was not started.",
            "Make the SSLCIPH attributes of the channel definitions at both ends name the same "
            "CipherSpec, or use a minimum-protocol alias such as ANY_TLS12_OR_HIGHER at both "
            "ends, and restart the channel.",
        ),
        _m(
            "AMQ9641",
            "E",
            "amqcctca.c : 4129",
            "Remote CipherSpec error for channel '{channel}' to host '{host}'.",
            "The remote end of channel '{channel}' reported that the CipherSpec used for the "
            "connection is not the one its own channel definition asks for. The details are in "
            "the error log of the remote queue manager.",
            "Compare the SSLCIPH value of this channel with the value of the channel of the same "
            "name at the remote end, make the two agree, and restart the channel.",
        ),
        _m(
            "AMQ9616",
            "E",
            "amqcctca.c : 2246",
            "The CipherSpec '{cipher}' proposed by remote host '{host}' is not enabled.",
            "A remote system at '{host}' began a TLS handshake offering only CipherSpec "
            "'{cipher}'. The protocol or CipherSpec is deprecated or disabled on this queue "
            "manager by policy, so the handshake was refused before any channel was named.",
            "Move the remote end to a CipherSpec that this queue manager allows (TLS 1.2 or "
            "later). Enable an old protocol only if the risk has been accepted.",
        ),
        _m(
            "AMQ9633",
            "E",
            "amqccisa.c : 954",
            "Bad SSL certificate for channel '{channel}'.",
            "A certificate sent by the remote end of channel '{channel}' ('{host}') did not "
            "pass validation. The GSKit return code was {rc}{code_text}. Certificate details: "
            "{details}.",
            "Check the certificate chain sent by the remote end: its validity dates, and that the "
            "issuing CA and every intermediate CA are in the key repository of this queue "
            "manager. After changing the key repository, refresh the SSL security cache.",
        ),
        _m(
            "AMQ9637",
            "E",
            "amqcctca.c : 5021",
            "Channel is lacking a certificate.",
            "The remote end at '{host}' sent no certificate during the TLS handshake, but this "
            "channel requires one because its SSLCAUTH attribute is REQUIRED. The channel is "
            "'{channel}'; when its name is not yet known it is shown as '????'.",
            "Give the remote queue manager a personal certificate under the label its channel "
            "uses, or set SSLCAUTH(OPTIONAL) on this channel if one-way TLS is acceptable.",
        ),
        _m(
            "AMQ9642",
            "E",
            "amqcctca.c : 5188",
            "No SSL or TLS certificate for channel '{channel}'.",
            "Channel '{channel}' sent no certificate to '{host}' because the key repository "
            "holds no personal certificate under the label the channel uses, and the remote end "
            "requires one.",
            "Check the CERTLABL attributes of the channel and of the queue manager against the "
            "labels in the key repository, add the missing certificate or correct the label, "
            "then refresh the SSL security cache and restart the channel.",
        ),
        _m(
            "AMQ9665",
            "E",
            "amqcctca.c : 3388",
            "SSL connection closed by remote end of channel '{channel}'.",
            "The remote end of channel '{channel}' at '{host}' closed the connection during the "
            "TLS handshake. The reason is written in the error log of the remote system.",
            "Look in the remote queue manager's error log at the time of this failure, correct "
            "the problem described there, and restart the channel.",
        ),
        # --- after TLS ----------------------------------------------------------------------
        _m(
            "AMQ9636",
            "E",
            "amqcctca.c : 4512",
            "SSL distinguished name does not match peer name, channel '{channel}'.",
            "The certificate sent by '{host}' on channel '{channel}' has the distinguished name "
            "'{dn}', which does not match the SSLPEER filter of the channel definition. The "
            "channel was refused after the handshake.",
            "Change SSLPEER on this channel so that it matches the remote certificate, or give "
            "the remote end a certificate whose distinguished name matches the filter.",
        ),
        _m(
            "AMQ9643",
            "E",
            "amqcctca.c : 4538",
            "Remote SSL peer name error for channel '{channel}' on host '{host}'.",
            "The remote end of channel '{channel}' refused the certificate of this queue "
            "manager because its distinguished name does not match the SSLPEER value of the "
            "remote channel definition.",
            "Compare the SSLPEER attribute of the remote channel with the subject distinguished "
            "name of this queue manager's certificate, and correct one of them.",
        ),
        _m(
            "AMQ9777",
            "E",
            "amqrmrca.c : 1873",
            "Channel was blocked",
            "The inbound channel '{channel}' from address '{address}' was refused because a "
            "channel authentication record maps the connection to no access. The values that "
            "matched the record were '{values}'.",
            "Review the channel authentication records for this channel with DISPLAY CHLAUTH "
            "and MATCH(RUNCHECK); change the record if this connection should be allowed.",
        ),
        _m(
            "AMQ9520",
            "E",
            "amqrccca.c : 1127",
            "Channel not defined remotely.",
            "The queue manager at '{host}' has no channel named '{channel}' to pair with this "
            "one, so the channel could not be started.",
            "Define the channel at the remote queue manager, or correct the channel name so that "
            "both ends use the same name.",
        ),
        _m(
            "AMQ9519",
            "E",
            "amqrcsia.c : 806",
            "Channel '{channel}' not found.",
            "A remote system at '{host}' asked to start channel '{channel}', but this queue "
            "manager has no channel of that name.",
            "Check the channel name used by the remote end, or define the channel here.",
            recalled=True,
        ),
        # --- network ------------------------------------------------------------------------
        _m(
            "AMQ9202",
            "E",
            "amqccita.c : 2107",
            "Remote host '{host}' not available, retry later.",
            "Channel '{channel}' could not open a TCP/IP connection to '{host}'. The connect() "
            "call returned {errno} (X'{errno_hex}'). The channel is '{channel}'.",
            "Check that the listener on the remote host is running on the port given in CONNAME "
            "and that no firewall blocks the connection. The channel retries by itself.",
        ),
        _m(
            "AMQ9209",
            "E",
            "amqccita.c : 4214",
            "Connection to host '{host}' for channel '{channel}' closed.",
            "The remote end at '{host}' closed the TCP/IP connection before any channel data "
            "arrived. The channel is '{channel}'; when its name is not yet known it is shown as "
            "'????'.",
            "If the address belongs to a health check or a port scanner this entry can be "
            "ignored; otherwise look at the remote system.",
        ),
        _m(
            "AMQ9228",
            "E",
            "amqccita.c : 1586",
            "The TCP/IP responder program could not be started.",
            "The listener accepted a connection, but the program that would serve it could not "
            "run because the remote end sent none of the data that starts a channel.",
            "This is usually a port scanner or a load-balancer health check that connects to the "
            "listener and closes again. Find the source of the connection if it is not expected.",
        ),
        _m(
            "AMQ9208",
            "E",
            "amqccita.c : 4378",
            "Error on receive from host '{host}'.",
            "An error occurred while receiving data over TCP/IP from '{host}' on channel "
            "'{channel}'; the connection was reset. The recv() call returned {errno} (X'{errno_hex}').",
            "Check the network between the two systems, idle timeouts in firewalls, and the "
            "heartbeat and keepalive settings of the channel.",
        ),
        _m(
            "AMQ9545",
            "I",
            "amqrmrsa.c : 1207",
            "Disconnect interval expired.",
            "Channel '{channel}' ended because no messages arrived within its disconnect interval.",
            "None.",
            recalled=True,
        ),
        # --- summaries and lifecycle ------------------------------------------------------
        _m(
            "AMQ9999",
            "E",
            "amqrmrsa.c : 938",
            "Channel '{channel}' to host '{host}' ended abnormally.",
            "The program for channel '{channel}' (process {pid}) stopped because of an error. "
            "The remote host is '{host}'; when it cannot be determined it is shown as '????'.",
            "Read the entries written just before this one for the same channel and process; "
            "they describe the error. This message can be excluded or suppressed with the "
            "QMErrorLog stanza of qm.ini.",
        ),
        _m(
            "AMQ9002",
            "I",
            "amqrccca.c : 410",
            "Channel '{channel}' is starting.",
            "Channel '{channel}' is starting.",
            "None.",
        ),
        _m(
            "AMQ9001",
            "I",
            "amqrmrsa.c : 1116",
            "Channel '{channel}' ended normally.",
            "Channel '{channel}' to host '{host}' ended normally.",
            "None.",
        ),
        _m(
            "AMQ9528",
            "W",
            "amqrmrsa.c : 1402",
            "User requested channel '{channel}' to be stopped.",
            "A STOP CHANNEL command ended channel '{channel}'.",
            "None, if the stop was intended.",
        ),
        _m(
            "AMQ8003",
            "I",
            "amqzxma0.c : 2131",
            "IBM MQ queue manager '{qmgr}' started using V{vrmf}.",
            "Queue manager '{qmgr}' has started.",
            "None.",
            recalled=True,
        ),
        _m(
            "AMQ5051",
            "I",
            "amqzmuc0.c : 1260",
            "The queue manager task '{task}' has started.",
            "The queue manager started its internal task '{task}'.",
            "None.",
            recalled=True,
        ),
        _m(
            "AMQ9410",
            "I",
            "amqrrmfa.c : 1032",
            "Repository manager started.",
            "The cluster repository manager of the queue manager started.",
            "None.",
            recalled=True,
        ),
        _m(
            "AMQ5026",
            "I",
            "amqzmgra.c : 847",
            "The listener '{listener}' has started. ProcessId({lpid}).",
            "The TCP/IP listener '{listener}' has started and accepts connections on port {port}.",
            "None.",
            recalled=True,
        ),
        _m(
            "AMQ7467",
            "I",
            "amqhlge0.c : 1052",
            "The oldest log file required to start queue manager {qmgr} is {extent}.",
            "The log extent '{extent}' holds the oldest record needed to restart queue manager {qmgr}.",
            "Log extents older than this one are not needed for a restart and can be archived.",
            recalled=True,
        ),
    )
}

# Entries QMC writes under a German message locale (see docs/samples.md).  Only two
# non-ASCII characters occur in them: the A-umlaut of the heading and one u-umlaut.
GERMAN: dict[str, Message] = {
    m.msg_id: m
    for m in (
        _m(
            "AMQ8003",
            "I",
            "amqzxma0.c : 2131",
            "IBM MQ-Warteschlangenmanager '{qmgr}' mit V{vrmf} gestartet.",
            "Der Warteschlangenmanager '{qmgr}' wurde gestartet.",
            "Keine.",
            recalled=True,
        ),
        _m(
            "AMQ5051",
            "I",
            "amqzmuc0.c : 1260",
            "Die Warteschlangenmanager-Task '{task}' wurde gestartet.",
            "Der Warteschlangenmanager hat seine interne Task '{task}' gestartet.",
            "Keine.",
            recalled=True,
        ),
        _m(
            "AMQ5026",
            "I",
            "amqzmgra.c : 847",
            "Der Listener '{listener}' wurde gestartet. ProcessId({lpid}).",
            "Der TCP/IP-Listener '{listener}' wurde gestartet und nimmt Verbindungen f\u00fcr "
            "Port {port} an.",
            "Keine.",
            recalled=True,
        ),
        _m(
            "AMQ7467",
            "I",
            "amqhlge0.c : 1052",
            "Die Protokolldatei {extent} ist die erste, die zum Starten von Warteschlangenmanager "
            "{qmgr} gebraucht wird.",
            "Die Protokolldatei '{extent}' hat den ersten Satz, der zum Neustart von {qmgr} gebraucht wird.",
            "Protokolldateien vor dieser Datei werden zum Neustart nicht gebraucht und lassen "
            "sich archivieren.",
            recalled=True,
        ),
    )
}

HEADINGS = {
    "en": ("EXPLANATION:", "ACTION:"),
    "de": ("ERKL\u00c4RUNG:", "AKTION:"),
}


def catalogue(lang: str) -> dict[str, Message]:
    return GERMAN if lang == "de" else ENGLISH
