"""Which business changes emit which canonical events (the outbox is the core's).

Each event is written in the transaction of its change: each model file of
this addon emits its own in its section "Outbound events"."""


def emit(records, type_name, payload_of):
    """One event of `type_name` per record, its subject `<model>/<name>`."""
    Event = records.env["mfg.integration.event"]
    for record in records:
        Event._emit(type_name, record, payload_of(record), subject=f"{record._name}/{record.name}")
