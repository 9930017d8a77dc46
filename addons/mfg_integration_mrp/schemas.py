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

PRODUCTION_ORDER = {
    "type": "object",
    "required": ["id", "reference", "status", "planned_quantity", "produced_quantity"],
    "properties": {
        "id": {"type": ["string", "null"]},
        "reference": {"type": "string"},
        "status": {"type": "string"},
        "odoo_state": {"type": "string"},
        "product": {"type": ["string", "null"]},
        "planned_quantity": {"type": "number"},
        "produced_quantity": {"type": "number"},
        "scrapped_quantity": {"type": "number"},
        "unit": {"type": ["string", "null"]},
        "due_date": {"type": ["string", "null"]},
        "updated_at": {"type": "string"},
        "work_orders": {"type": "array", "items": {"type": "object"}},
    },
}

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
