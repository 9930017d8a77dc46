"""Items: the PLM's parts, upserted by part number with their revision."""

from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest

from ..schemas import (
    CHANGE_NUMBER,
    CODE,
    EXTERNAL_ID,
    NAME,
    NULLABLE_STRING,
    REVISION,
    TEXT,
    answer,
)
from .common import business_error, revision_key, stale_revision, wait_for_writers_of

# the PLM's item types: (Odoo product type, tracked in stock)
ITEM_TYPES = {
    "stocked": ("consu", True),
    "consumable": ("consu", False),
    "service": ("service", False),
}

ITEM = {
    "type": "object",
    "additionalProperties": False,
    "required": ["part_number", "revision", "name", "unit"],
    "properties": {
        "part_number": {
            **EXTERNAL_ID,
            "description": "Your id of the item (cross-reference 'product').",
        },
        "revision": REVISION,
        "name": NAME,
        "description": TEXT,
        "unit": {**CODE, "description": "Your unit code (value map 'uom')."},
        "category": {**CODE, "description": "Your category code (value map 'product.category')."},
        "type": {
            "enum": list(ITEM_TYPES),
            "description": "Default for a new item: stocked; a revision without it keeps it.",
        },
        "tracking": {
            "enum": ["none", "lot", "serial"],
            "description": "Default for a new item: none; a revision without it keeps it.",
        },
        "make_or_buy": {
            "enum": ["make", "buy"],
            "description": "Sets the Manufacture or the Buy route (the other is removed).",
        },
        "weight": {"type": "number", "minimum": 0, "maximum": 1e6, "description": "In kg."},
        "barcode": {"type": "string", "minLength": 1, "maxLength": 128},
        "active": {"type": "boolean", "description": "Default for a new item: true."},
        "change_number": CHANGE_NUMBER,
    },
}

ITEM_RESULT = answer(
    {
        "part_number": {"type": "string"},
        "revision": {"type": "string"},
        "previous_revision": NULLABLE_STRING,
        "reference": {"type": "string"},
        "created": {"type": "boolean"},
        "changed": {"type": "boolean"},
    },
    ["part_number", "revision", "previous_revision", "reference", "created", "changed"],
)

HANDLERS = "mfg.integration.masterdata.inbound"

COMMANDS = [
    Command(
        name="item.upsert",
        handler=f"{HANDLERS}:_command_upsert_item",
        rest=Rest("POST", "/masterdata/items", operation="upsert_item", tag="Master data"),
        scope="masterdata:write",
        summary="Create or update a PLM item (a product) by part number, with its revision",
        request_schema=ITEM,
        response_schema=ITEM_RESULT,
        latency_class="near-real-time",
        example={
            "part_number": "PN-1000",
            "revision": "B",
            "name": "Gearbox housing",
            "unit": "EA",
            "type": "stocked",
            "tracking": "lot",
            "make_or_buy": "make",
            "weight": 4.2,
            "change_number": "ECN-2026-017",
        },
    ),
]


class MfgIntegrationMasterdataInbound(models.AbstractModel):
    _inherit = "mfg.integration.masterdata.inbound"

    @api.model
    def _command_upsert_item(self, ctx, body):
        return self._upsert_item(ctx, body)

    def _upsert_item(self, ctx, body, at=""):
        """Create the item, or apply a revision to the product Odoo has for it."""
        system = ctx._system_required()
        wait_for_writers_of(self.env, "masterdata.item", system, body["part_number"])
        product = self._find(ctx, "product", body["part_number"])
        template = product.product_tmpl_id
        previous = template.mfg_revision or None
        if previous and revision_key(body["revision"]) < revision_key(previous):
            raise stale_revision(
                f"Revision {body['revision']} of {body['part_number']} is older than "
                f"revision {previous}, which Odoo applied already.",
                f"{at}/revision",
                previous,
            )
        uom = ctx.map_in_record("uom", body["unit"], f"{at}/unit")
        values = {
            "name": body["name"],
            "default_code": body["part_number"],
            "uom_id": uom.id,
            "uom_po_id": uom.id,
            "mfg_revision": body["revision"],
        }
        # what a revision leaves out keeps its value; a new item takes the defaults
        for key, default in (("tracking", "none"), ("active", True), ("type", "stocked")):
            if key in body or not product:
                values[key] = body.get(key, default)
        if "type" in values:
            values["type"], values["is_storable"] = ITEM_TYPES[values["type"]]
        if (
            values.get("type", template.type) == "service"
            and values.get("tracking", template.tracking) != "none"
        ):
            raise business_error("A service cannot be tracked by lot or serial.", f"{at}/tracking")
        if "description" in body:
            values["description"] = body["description"]
        if body.get("category"):
            values["categ_id"] = ctx.map_in_record(
                "product.category", body["category"], f"{at}/category"
            ).id
        if "weight" in body:
            values["weight"] = body["weight"]
        if "barcode" in body:
            values["barcode"] = body["barcode"]
        if body.get("make_or_buy"):
            values["route_ids"] = self.env["product.template"]._mfg_make_or_buy_routes(
                template, body["make_or_buy"]
            )
        created = not product
        if created:
            product = self.env["product.product"].create(values)
            template = product.product_tmpl_id
            ctx.register("product", body["part_number"], product)
        else:
            if uom != template.uom_id and template._mfg_has_stock_moves():
                raise business_error(
                    f"{template.display_name} is counted in {template.uom_id.name} on stock "
                    f"moves already; a revision cannot change its unit to {uom.name}. Create a "
                    "new part number for the new unit.",
                    f"{at}/unit",
                )
            template.with_context(active_test=False).write(values)
        changed = created or previous != body["revision"]
        if changed:
            template._mfg_record_revision(
                system, body["revision"], previous, body.get("change_number"), body["name"]
            )
        template._mfg_emit_item_changed(body["part_number"], previous, body.get("change_number"))
        return CommandResult(
            {
                "part_number": body["part_number"],
                "revision": body["revision"],
                "previous_revision": previous,
                "reference": product.display_name,
                "created": created,
                "changed": changed,
            },
            template,
        )
