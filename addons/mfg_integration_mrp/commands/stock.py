"""Stock: WMS movements and counts (asynchronous batches), availability."""

from odoo import api, models
from odoo.tools import float_round

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_command.problems import CommandProblem

from ..schemas import CODE, EXTERNAL_ID, QUANTITY, answer
from .common import business_error

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
                    "location": {
                        **EXTERNAL_ID,
                        "description": "For counts: the total there of the product (and lot)"
                        " in no package and of no owner is set to the counted quantity.",
                    },
                    "lot": EXTERNAL_ID,
                    "quantity": QUANTITY,
                    "unit": CODE,
                    "reference": {"type": "string", "maxLength": 128},
                },
            },
        },
    },
}

AVAILABILITY_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["product"],
    "properties": {"product": EXTERNAL_ID, "location": EXTERNAL_ID},
}

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


HANDLERS = "mfg.integration.mrp.inbound"


COMMANDS = [
    Command(
        name="inventory.movements",
        handler=f"{HANDLERS}:_command_inventory_movement",
        rest=Rest("POST", "/inventory/movements", operation="inventory_movements", tag="Inventory"),
        scope="inventory:write",
        summary="Batch of WMS movements and counts, applied asynchronously",
        request_schema=INVENTORY_MOVEMENTS,
        mode="async",
        batch_key="movements",
        latency_class="batch",
        example={
            "movements": [
                {
                    "type": "move",
                    "product": "CMP-7",
                    "quantity": 5,
                    "unit": "EA",
                    "from_location": "WH/A-01",
                    "to_location": "WH/LINE-1",
                }
            ]
        },
    ),
    Command(
        name="inventory.availability",
        handler=f"{HANDLERS}:_command_availability",
        rest=Rest(
            "GET", "/inventory/availability", operation="inventory_availability", tag="Inventory"
        ),
        scope="inventory:read",
        summary="On-hand and available quantity of a product",
        query_schema=AVAILABILITY_QUERY,
        response_schema=AVAILABILITY,
        writes=False,
    ),
]


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    @api.model
    def _command_inventory_movement(self, ctx, item, index):
        """One item of a movements batch (the batch runner calls it per item)."""
        pointer = f"/movements/{index}"
        product = ctx.resolve("product", item["product"], f"{pointer}/product")
        quantity, uom = self._quantity_in(
            ctx, product, item["quantity"], item["unit"], f"{pointer}/unit"
        )
        quantity = uom._compute_quantity(quantity, product.uom_id)
        lot = (
            self._lot(ctx, product, item["lot"], f"{pointer}/lot", create=True)
            if item.get("lot")
            else None
        )
        if product.tracking != "none" and not lot:
            raise business_error(f"{product.display_name} needs a lot or serial.", f"{pointer}/lot")
        if item["type"] == "count":
            return self._inventory_count(ctx, product, quantity, lot, item, index)
        for key in ("from_location", "to_location"):
            if not item.get(key):
                raise CommandProblem(
                    "validation-error",
                    f"A move needs '{key}'.",
                    errors=[{"pointer": f"{pointer}/{key}", "detail": "required for a move"}],
                )
        source = ctx.resolve("location", item["from_location"], f"{pointer}/from_location")
        destination = ctx.resolve("location", item["to_location"], f"{pointer}/to_location")
        move = self.env["stock.move"]._mfg_move_now(
            product,
            quantity,
            source,
            destination,
            lot=lot,
            name=item.get("reference") or f"{ctx.system.code} movement",
            origin=item.get("reference"),
        )
        return CommandResult(
            {
                "index": index,
                "type": "move",
                "move": move.reference or move.name,
                "quantity": quantity,
            },
            move,
        )

    def _inventory_count(self, ctx, product, quantity, lot, item, index):
        pointer = f"/movements/{index}"
        if not item.get("location"):
            raise CommandProblem(
                "validation-error",
                "A count needs 'location'.",
                errors=[{"pointer": f"{pointer}/location", "detail": "required for a count"}],
            )
        location = ctx.resolve("location", item["location"], f"{pointer}/location")
        on_hand, quant = self.env["stock.quant"]._mfg_apply_count(product, location, lot, quantity)
        self._check_discrepancy(ctx, product, location, lot, on_hand, quantity)
        return CommandResult(
            {
                "index": index,
                "type": "count",
                "previous": on_hand,
                "counted": quantity,
                "difference": quantity - on_hand,
            },
            quant,
        )

    @api.model
    def _check_discrepancy(self, ctx, product, location, lot, expected, counted):
        tolerance = self.env["mfg.integration.settings"]._get(
            "inventory_discrepancy_tolerance_pct", 2
        )
        base = abs(expected) or 1.0
        if abs(counted - expected) / base * 100.0 > tolerance:
            self._on_inventory_discrepancy(
                ctx, product, location, lot, expected, counted, tolerance
            )

    @api.model
    def _on_inventory_discrepancy(self, ctx, product, location, lot, expected, counted, tolerance):
        """Hook: a count differs from Odoo's quantity beyond the tolerance."""
        return None

    @api.model
    def _command_availability(self, ctx, body):
        query = ctx.query
        product = ctx.resolve("product", query["product"], "/product")
        if query.get("location"):
            location = ctx.resolve("location", query["location"], "/location")
        else:
            warehouse = ctx.system.warehouse_id or self.env["stock.warehouse"].search(
                [("company_id", "=", self.env.company.id)], limit=1
            )
            location = warehouse.lot_stock_id
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "child_of", location.id)]
        )
        on_hand = sum(quants.mapped("quantity"))
        held = sum(quants.filtered(lambda quant: quant.lot_id.mfg_hold).mapped("quantity"))
        reserved = sum(quants.mapped("reserved_quantity"))
        return {
            "product": query["product"],
            "location": ctx.external_id(location, "location") or location.complete_name,
            "unit": ctx.map_out("uom", product.uom_id),
            "on_hand": on_hand,
            "reserved": reserved,
            "on_hold": held,
            "available": float_round(
                on_hand - reserved - held, precision_rounding=product.uom_id.rounding
            ),
        }
