"""JSON Schema fragments of the master data commands (draft 2020-12)."""

from odoo.addons.mfg_integration_mrp.schemas import (  # noqa: F401
    CODE,
    EXTERNAL_ID,
    NULLABLE_STRING,
    POSITIVE_QUANTITY,
    QUANTITY,
    answer,
)

REVISION = {
    "type": "string",
    "minLength": 1,
    "maxLength": 32,
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
    "description": "The PLM's revision code (A, B, ... AA; 01, 02; 1.2). Later revisions "
    "compare higher: numbers by value, letters by length then alphabet.",
}

DATE = {"type": "string", "format": "date"}

CHANGE_NUMBER = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "The PLM's engineering change number.",
}

TEXT = {"type": "string", "maxLength": 4000}

NAME = {"type": "string", "minLength": 1, "maxLength": 256}
