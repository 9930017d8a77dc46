"""JSON Schema fragments that the manufacturing commands share (draft 2020-12)."""

EXTERNAL_ID = {"type": "string", "minLength": 1, "maxLength": 128}

QUANTITY = {"type": "number", "minimum": 0, "maximum": 1e9}

POSITIVE_QUANTITY = {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9}

CODE = {"type": "string", "minLength": 1, "maxLength": 64}

TIMESTAMP = {"type": "string", "format": "date-time"}

LOT_QUANTITY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["lot", "quantity"],
    "properties": {"lot": EXTERNAL_ID, "quantity": POSITIVE_QUANTITY},
}
NULLABLE_STRING = {"type": ["string", "null"]}
STRINGS = {"type": "array", "items": {"type": "string"}}


def answer(properties, required=()):
    """The schema of a success answer: these fields and no others."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": properties,
    }
