"""The manufacturing object types (core's before), the scopes of the
manufacturing commands (governance's before) and the system's plant field
(core's before) belong to this addon now: they change owner, keeping their
records, the clients' scopes and every cross-reference."""

from odoo.tools import SQL

MOVED = {
    "mfg_integration_core": [
        f"object_type_{code}"
        for code in (
            "product",
            "uom",
            "workcenter",
            "lot",
            "serial",
            "location",
            "warehouse",
            "production",
            "workorder",
            "purchase",
            "picking",
        )
    ]
    + ["field_mfg_integration_system__warehouse_id"],
    "mfg_integration_governance": [
        f"scope_{name}"
        for name in (
            "production_read",
            "production_write",
            "inventory_read",
            "inventory_write",
            "purchase_write",
            "quality_write",
            "shipment_write",
        )
    ],
}


def migrate(cr, version):
    for previous_owner, names in MOVED.items():
        cr.execute(
            SQL(
                "UPDATE ir_model_data SET module = 'mfg_integration_mrp' "
                "WHERE module = %s AND name IN %s",
                previous_owner,
                tuple(names),
            )
        )
