"""Sparkplug B: how a Sparkplug subscription reads its topics and payloads.

Topics are ``spBv1.0/<group>/<message type>/<edge node>[/<device>]``; the
machine is the device, or the edge node when there is none: it is the
command's subject. A BIRTH declares the machine's metrics (names, aliases,
data types); its DATA messages may then send them by alias and without their
type, so the birth is kept per subject to read them. A DEATH says the machine
is not heard any more: the edge node's MQTT will (NDEATH, for the node and
every device born under it) or the node's word for one device (DDEATH).
"""

from datetime import UTC, datetime

import pysparkplug
from google.protobuf.message import DecodeError

NAMESPACE = "spBv1.0"
BIRTHS = ("NBIRTH", "DBIRTH")
DEATHS = ("NDEATH", "DDEATH")
DATA = ("NDATA", "DDATA")
# the metric of an NBIRTH and NDEATH that pairs a death with its birth
BIRTH_DEATH_SEQUENCE = "bdSeq"

PAYLOADS = {
    "NBIRTH": pysparkplug.NBirth,
    "DBIRTH": pysparkplug.DBirth,
    "NDATA": pysparkplug.NData,
    "DDATA": pysparkplug.DData,
    "NDEATH": pysparkplug.NDeath,
    "DDEATH": pysparkplug.DDeath,
}


class SparkplugError(ValueError):
    """The message is not a readable Sparkplug B message."""


def parse_topic(topic):
    """(message type, edge node id, device id or None) of a Sparkplug topic."""
    levels = topic.split("/")
    if len(levels) not in (4, 5) or levels[0] != NAMESPACE:
        raise SparkplugError(
            f"{topic} is not a Sparkplug B topic ({NAMESPACE}/group/type/node[/device])."
        )
    device = levels[4] if len(levels) == 5 else None
    return levels[2], levels[3], device


def decode(message_type, raw, birth=None):
    """The payload object of a message; ``birth``: the subject's decoded birth,
    to read metrics sent by alias and without their data type."""
    try:
        return PAYLOADS[message_type].decode(raw, birth=birth)
    except KeyError as error:
        raise SparkplugError(
            f"The {message_type} sends metric {error} that no recorded birth declared: "
            "the edge node must publish its birth again (Rebirth)."
        ) from error
    except NotImplementedError as error:  # pysparkplug: a data type of UNKNOWN
        raise SparkplugError(
            f"The {message_type} sends metrics without their data type and no birth of the "
            "machine was recorded: the edge node must publish its birth again (Rebirth)."
        ) from error
    except (DecodeError, ValueError, IndexError, TypeError) as error:
        raise SparkplugError(f"The payload is not a Sparkplug B {message_type}: {error}") from error


def metrics_of(payload, prefix=""):
    """{name without the prefix: value} of the payload's current metrics
    (historical ones are past values, not the machine's report)."""
    values = {}
    for metric in payload.metrics:
        if metric.is_historical or not metric.name or not metric.name.startswith(prefix):
            continue
        value = None if metric.is_null else metric.value
        if isinstance(value, datetime):
            value = iso(int(value.timestamp() * 1000))
        values[metric.name[len(prefix) :]] = value
    return values


def sequence_of(payload):
    """A number that grows with each message of a machine: its timestamp (ms),
    then its Sparkplug seq (0-255), for two messages of one millisecond."""
    return payload.timestamp * 256 + (payload.seq or 0)


def sequence_of_moment(milliseconds):
    """The sequence number of a moment, before any message of it."""
    return milliseconds * 256


def milliseconds_of(sequence):
    return sequence // 256


def iso(milliseconds):
    """A Sparkplug timestamp (ms since the epoch, UTC) as ISO 8601."""
    moment = datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def birth_death_sequence(payload):
    """The bdSeq metric's value of an NBIRTH or NDEATH, or None."""
    if isinstance(payload, pysparkplug.NDeath):
        return payload.bd_seq_metric.value
    for metric in payload.metrics:
        if metric.name == BIRTH_DEATH_SEQUENCE:
            return metric.value
    return None
