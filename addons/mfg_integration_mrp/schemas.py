"""JSON Schemas of the manufacturing routes (draft 2020-12)."""

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

CREATE_PRODUCTION_ORDER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "product", "quantity", "unit"],
    "properties": {
        "id": {**EXTERNAL_ID, "description": "Your id of the order."},
        "product": {**EXTERNAL_ID, "description": "Your product id (cross-reference 'product')."},
        "quantity": POSITIVE_QUANTITY,
        "unit": {**CODE, "description": "Your unit code (value map 'uom')."},
        "due_date": TIMESTAMP,
        "bill_of_materials": {**CODE, "description": "Odoo BoM reference code, optional."},
        "origin": {"type": "string", "maxLength": 256},
        "source_timestamp": TIMESTAMP,
    },
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


WORK_ORDER_SUMMARY = answer(
    {
        "id": {**NULLABLE_STRING, "description": "Your id, where one is cross-referenced."},
        "reference": {"type": "string"},
        "work_center": NULLABLE_STRING,
        "status": {"type": "string"},
        "duration_minutes": {"type": "number"},
    },
    ["id", "reference", "status"],
)

PRODUCTION_ORDER_PROPERTIES = {
    "id": NULLABLE_STRING,
    "reference": {"type": "string"},
    "status": {"type": "string"},
    "odoo_state": {"type": "string"},
    "product": NULLABLE_STRING,
    "planned_quantity": {"type": "number"},
    "produced_quantity": {"type": "number"},
    "scrapped_quantity": {"type": "number"},
    "unit": NULLABLE_STRING,
    "due_date": {**NULLABLE_STRING, "description": "UTC, null when the order has none."},
    "updated_at": {"type": "string"},
    "work_orders": {"type": "array", "items": WORK_ORDER_SUMMARY},
}
PRODUCTION_ORDER_REQUIRED = ["id", "reference", "status", "planned_quantity", "produced_quantity"]
PRODUCTION_ORDER = answer(PRODUCTION_ORDER_PROPERTIES, PRODUCTION_ORDER_REQUIRED)

PRODUCTION_ORDER_PAGE = answer(
    {
        "items": {"type": "array", "items": PRODUCTION_ORDER},
        "next_cursor": {**NULLABLE_STRING, "description": "Send it as `cursor` for the next page."},
    },
    ["items", "next_cursor"],
)

CONFIRMED_PRODUCTION_ORDER = answer(
    {
        **PRODUCTION_ORDER_PROPERTIES,
        "variance": {
            "description": "Recorded on the final confirmation when beyond tolerance.",
            "oneOf": [
                {"type": "null"},
                answer(
                    {"quantity": {"type": "number"}, "percent": {"type": "number"}},
                    ["quantity", "percent"],
                ),
            ],
        },
    },
    PRODUCTION_ORDER_REQUIRED + ["variance"],
)

WORK_ORDER_STATUS = answer(
    {"id": {"type": "string"}, "reference": {"type": "string"}, "status": {"type": "string"}},
    ["id", "reference", "status"],
)

AVAILABILITY = answer(
    {
        "product": {"type": "string"},
        "location": {"type": "string"},
        "unit": {"type": "string"},
        "on_hand": {"type": "number"},
        "reserved": {"type": "number"},
        "on_hold": {"type": "number"},
        "available": {"type": "number"},
    },
    ["product", "location", "unit", "on_hand", "reserved", "on_hold", "available"],
)

RECEIPT_RESULT = answer(
    {
        "purchase_order": {"type": "string"},
        "reference": {"type": "string"},
        "receipt": {"type": "string"},
        "status": {"type": "string"},
        "backorder": NULLABLE_STRING,
    },
    ["purchase_order", "reference", "receipt", "status", "backorder"],
)

PURCHASE_CONFIRMATION_RESULT = answer(
    {
        "id": {"type": "string"},
        "reference": {"type": "string"},
        "status": {"type": "string"},
        "acknowledged": {"enum": ["accepted", "rejected", "changed"]},
    },
    ["id", "reference", "status", "acknowledged"],
)

QUALITY_HOLD_RESULT = answer(
    {
        "lot": {"type": "string"},
        "status": {"enum": ["held"]},
        "open_deliveries": {**STRINGS, "description": "Deliveries the hold now blocks."},
    },
    ["lot", "status", "open_deliveries"],
)

QUALITY_RELEASE_RESULT = answer(
    {"lot": {"type": "string"}, "status": {"enum": ["released"]}}, ["lot", "status"]
)

SHIPMENT_RESULT = answer(
    {
        "id": {"type": "string"},
        "reference": {"type": "string"},
        "status": {"type": "string"},
        "tracking_reference": NULLABLE_STRING,
    },
    ["id", "reference", "status", "tracking_reference"],
)

LIST_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "updated_since": TIMESTAMP,
        "cursor": {"type": "string", "maxLength": 200},
        "limit": {"type": "string", "pattern": "^[1-9][0-9]{0,2}$"},
    },
}

PRODUCTION_CONFIRMATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["produced_quantity"],
    "properties": {
        "produced_quantity": QUANTITY,
        "scrapped_quantity": QUANTITY,
        "scrap_reason": CODE,
        "final": {"type": "boolean", "default": False},
        "lot": {**EXTERNAL_ID, "description": "Finished lot or serial."},
        "consumed": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["product", "quantity"],
                "properties": {
                    "product": EXTERNAL_ID,
                    "quantity": QUANTITY,
                    "unit": CODE,
                    "lots": {"type": "array", "items": LOT_QUANTITY},
                },
            },
        },
        "work_center": EXTERNAL_ID,
        "operator": {"type": "string", "maxLength": 128},
        "started_at": TIMESTAMP,
        "finished_at": TIMESTAMP,
        "source_timestamp": TIMESTAMP,
    },
}

WORK_ORDER_EVENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["event"],
    "properties": {
        "event": {"enum": ["start", "pause", "resume", "finish"]},
        "operator": {"type": "string", "maxLength": 128},
        "at": TIMESTAMP,
        "source_timestamp": TIMESTAMP,
    },
}

INVENTORY_MOVEMENTS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["movements"],
    "properties": {
        "movements": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "product", "quantity", "unit"],
                "properties": {
                    "type": {"enum": ["move", "count"]},
                    "product": EXTERNAL_ID,
                    "from_location": EXTERNAL_ID,
                    "to_location": EXTERNAL_ID,
                    "location": {**EXTERNAL_ID, "description": "For counts."},
                    "lot": EXTERNAL_ID,
                    "quantity": QUANTITY,
                    "unit": CODE,
                    "reference": {"type": "string", "maxLength": 128},
                },
            },
        },
    },
}

RECEIPT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["purchase_order", "lines"],
    "properties": {
        "purchase_order": {**EXTERNAL_ID, "description": "Your id or the Odoo PO reference."},
        "reference": {"type": "string", "maxLength": 128, "description": "ASN / delivery note."},
        "done": {"type": "boolean", "default": True},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["product", "quantity"],
                "properties": {
                    "product": EXTERNAL_ID,
                    "quantity": POSITIVE_QUANTITY,
                    "unit": CODE,
                    "lots": {"type": "array", "items": LOT_QUANTITY},
                },
            },
        },
    },
}

PURCHASE_CONFIRMATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status"],
    "properties": {
        "status": {"enum": ["accepted", "rejected", "changed"]},
        "supplier_reference": {"type": "string", "maxLength": 128},
        "reason": {"type": "string", "maxLength": 1000},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["product"],
                "properties": {
                    "product": EXTERNAL_ID,
                    "quantity": POSITIVE_QUANTITY,
                    "date": TIMESTAMP,
                },
            },
        },
        "source_timestamp": TIMESTAMP,
    },
}

QUALITY_HOLD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["lot", "product"],
    "properties": {
        "lot": {**EXTERNAL_ID, "description": "Lot or serial, your id or the Odoo name."},
        "product": EXTERNAL_ID,
        "reason": {"type": "string", "maxLength": 1000},
    },
}

SHIPMENT_CONFIRMATION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "tracking_reference": {"type": "string", "maxLength": 128},
        "carrier": {"type": "string", "maxLength": 128},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["product", "quantity"],
                "properties": {
                    "product": EXTERNAL_ID,
                    "quantity": QUANTITY,
                    "lots": {"type": "array", "items": LOT_QUANTITY},
                },
            },
        },
        "source_timestamp": TIMESTAMP,
    },
}

AVAILABILITY_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["product"],
    "properties": {"product": EXTERNAL_ID, "location": EXTERNAL_ID},
}
