"""Quality: lots and serials put on hold and released."""

from odoo import api, models

from odoo.addons.mfg_integration_command.commands import Command, CommandResult, Rest

from ..schemas import EXTERNAL_ID, STRINGS, answer

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

HANDLERS = "mfg.integration.mrp.inbound"


COMMANDS = [
    Command(
        name="quality.hold",
        handler=f"{HANDLERS}:_command_quality_hold",
        rest=Rest("POST", "/quality/holds", operation="quality_hold", tag="Quality"),
        scope="quality:write",
        summary="Put a lot or serial on hold: it can no longer be reserved or shipped",
        request_schema=QUALITY_HOLD,
        response_schema=QUALITY_HOLD_RESULT,
        example={"lot": "LOT-2026-0042", "product": "FG-100", "reason": "Porosity found"},
    ),
    Command(
        name="quality.release",
        handler=f"{HANDLERS}:_command_quality_release",
        rest=Rest("POST", "/quality/releases", operation="quality_release", tag="Quality"),
        scope="quality:write",
        summary="Release a held lot or serial",
        request_schema=QUALITY_HOLD,
        response_schema=QUALITY_RELEASE_RESULT,
    ),
]


class MfgIntegrationMrpInbound(models.AbstractModel):
    _inherit = "mfg.integration.mrp.inbound"

    def _hold_lot(self, ctx, body):
        product = ctx.resolve("product", body["product"], "/product")
        return self._lot(ctx, product, body["lot"], "/lot")

    @api.model
    def _command_quality_hold(self, ctx, body):
        lot = self._hold_lot(ctx, body)
        blocked = lot._mfg_put_on_hold(body.get("reason"))
        if blocked:
            self._on_quality_hold_blocks_delivery(ctx, lot, blocked)
        return CommandResult(
            {
                "lot": body["lot"],
                "status": "held",
                "open_deliveries": blocked.picking_id.mapped("name"),
            },
            lot,
        )

    @api.model
    def _on_quality_hold_blocks_delivery(self, ctx, lot, moves):
        """Hook: a held lot was reserved for deliveries (the moves)."""
        return None

    @api.model
    def _command_quality_release(self, ctx, body):
        lot = self._hold_lot(ctx, body)
        lot._mfg_release_hold(body.get("reason"))
        return CommandResult({"lot": body["lot"], "status": "released"}, lot)
