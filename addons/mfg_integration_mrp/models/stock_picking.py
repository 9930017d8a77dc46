from odoo import fields, models

from .events import emit


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------

    mfg_tracking_ref = fields.Char(string="Tracking Reference", copy=False, tracking=True)
    mfg_carrier_name = fields.Char(string="Carrier", copy=False)

    # ------------------------------------------------------------------
    # Business methods (what the commands call)
    # ------------------------------------------------------------------

    def _mfg_validate_without_backorder(self):
        """Validate what was reported; what is missing gets no backorder."""
        return self.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=[], skip_sms=True
        ).button_validate()

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------

    def _action_done(self):
        result = super()._action_done()
        ref = self.env["mfg.integration.event"]._ref
        types = {
            "incoming": "stock.receipt.validated.v1",
            "outgoing": "stock.shipment.validated.v1",
            "internal": "stock.transfer.done.v1",
        }
        for picking in self.filtered(lambda p: p.state == "done"):
            type_name = types.get(picking.picking_type_code)
            if not type_name:
                continue
            emit(
                picking,
                type_name,
                lambda p: {
                    "picking": ref(p),
                    "partner": ref(p.partner_id),
                    "origin": p.origin or None,
                    "purchase_order": ref(p.purchase_id) if "purchase_id" in p._fields else None,
                    "tracking_reference": p.mfg_tracking_ref or None,
                    "carrier": p.mfg_carrier_name or None,
                    "lines": [
                        {
                            "product": ref(line.product_id),
                            "quantity": line.quantity,
                            "unit": line.product_uom_id.name,
                            "lot": ref(line.lot_id),
                            "from_location": ref(line.location_id),
                            "to_location": ref(line.location_dest_id),
                        }
                        for line in p.move_line_ids
                    ],
                },
            )
        return result
