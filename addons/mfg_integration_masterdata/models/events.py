"""The events of master data changes (the outbox is the core's)."""


def emit(record, type_name, data):
    """An event of `type_name` whose subject is the record's model and id."""
    return record.env["mfg.integration.event"]._emit(
        type_name, record, data, subject=f"{record._name}/{record.id}"
    )


def ref(record):
    return record.env["mfg.integration.event"]._ref(record)
