from odoo import models

from .events import emit


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        if {"product_qty", "date_planned", "price_unit"} & set(vals):
            orders = self.order_id.filtered(lambda o: o.state == "purchase")
            emit(orders, "purchase.order.changed.v1", lambda o: o._mfg_payload())
        return result
