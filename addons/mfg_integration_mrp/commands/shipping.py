"""Shipping: carrier or WMS shipment confirmations validate deliveries."""

from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest
from odoo.addons.mfg_integration_command.problems import CommandProblem

from ..schemas import EXTERNAL_ID, LOT_QUANTITY, NULLABLE_STRING, QUANTITY, TIMESTAMP, answer
from .common import business_error

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

SHIPMENT_RESULT = answer(
    {
        "id": {"type": "string"},
        "reference": {"type": "string"},
        "status": {"type": "string"},
        "tracking_reference": NULLABLE_STRING,
    },
    ["id", "reference", "status", "tracking_reference"],
)

HANDLERS = "mfg.integration.mrp.inbound"


COMMANDS = [
    Command(
        name="shipment.confirm",
        handler=f"{HANDLERS}:_command_shipment_confirmation",
        subject="id",
        rest=Rest(
            "POST",
            "/shipments/{id}/confirmations",
            operation="shipment_confirmation",
            tag="Shipping",
        ),
        scope="shipment:write",
        summary="Carrier or WMS shipment confirmation: validates the delivery",
        request_schema=SHIPMENT_CONFIRMATION,
        response_schema=SHIPMENT_RESULT,
        example={"tracking_reference": "1Z999AA10123456784", "carrier": "UPS"},
    ),
]


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    @api.model
    def _command_shipment_confirmation(self, ctx, body, id):
        picking = self._record_by_id_or_name(ctx, "picking", "stock.picking", id)
        ctx.check_stale("picking", picking, body.get("source_timestamp"))
        if picking.state in ("done", "cancel"):
            raise CommandProblem("conflict", f"{picking.name} is already {picking.state}.")
        if body.get("tracking_reference"):
            picking.mfg_tracking_ref = body["tracking_reference"]
        if body.get("carrier"):
            picking.mfg_carrier_name = body["carrier"]
        for index, line in enumerate(body.get("lines") or []):
            pointer = f"/lines/{index}"
            product = ctx.resolve("product", line["product"], f"{pointer}/product")
            move = self._product_move(
                ctx, picking.move_ids, product, picking.name, f"{pointer}/product"
            )
            move._mfg_report_quantity(
                line["quantity"],
                self._lot_quantities(ctx, product, line.get("lots") or [], pointer),
            )
        picking.move_ids.picked = True
        if not any(picking.move_ids.mapped("quantity")):
            raise business_error(f"Nothing of {picking.name} is reserved or reported shipped.")
        picking._mfg_validate_without_backorder()
        return CommandResult(
            {
                "id": id,
                "reference": picking.name,
                "status": picking.state,
                "tracking_reference": picking.mfg_tracking_ref or None,
            },
            picking,
        )
