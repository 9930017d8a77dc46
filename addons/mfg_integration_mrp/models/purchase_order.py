from odoo import _, fields, models

from odoo.addons.mfg_integration_core.exceptions import StateConflictError

from .events import emit


class PurchaseOrder(models.Model):
    _inherit = "purchase.order"

    # ------------------------------------------------------------------
    # Business methods (what the commands call)
    # ------------------------------------------------------------------

    def _mfg_acknowledge(
        self, status, supplier_reference=None, line_changes=(), reason=None, via=""
    ):
        """The supplier's answer to the order: accepted (confirms a draft order),
        changed ([(order line, values)]) or rejected (a to-do for the buyer)."""
        self.ensure_one()
        if supplier_reference:
            self.partner_ref = supplier_reference
        if status == "accepted":
            if self.state in ("draft", "sent"):
                self.button_confirm()
            elif self.state == "cancel":
                raise StateConflictError(_("%s is cancelled.", self.name))
        elif status == "changed":
            for order_line, values in line_changes:
                order_line.write(values)
        else:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=(self.user_id or self.env.ref("base.user_admin")).id,
                summary=_("%s rejected by the supplier", self.name),
                note=reason or _("No reason given."),
            )
        self.message_post(
            body=_(
                "Supplier %(status)s the order via %(system)s. %(reason)s",
                status=status,
                system=via,
                reason=reason or "",
            )
        )

    def _mfg_waiting_receipt(self):
        """The first receipt of the order that is still to be received."""
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming" and p.state not in ("done", "cancel")
        )[:1]

    # ------------------------------------------------------------------
    # Outbound events (the changed event: purchase_order_line.py)
    # ------------------------------------------------------------------

    def _mfg_payload(self):
        ref = self.env["mfg.integration.event"]._ref
        return {
            "purchase_order": ref(self),
            "supplier": ref(self.partner_id),
            "supplier_reference": self.partner_ref or None,
            "state": self.state,
            "lines": [
                {
                    "product": ref(line.product_id),
                    "quantity": line.product_qty,
                    "unit": line.product_uom.name,
                    "price_unit": line.price_unit,
                    "date_planned": fields.Datetime.to_string(line.date_planned),
                }
                for line in self.order_line.filtered("product_id")
            ],
        }

    def button_confirm(self):
        drafts = self.filtered(lambda o: o.state in ("draft", "sent"))
        result = super().button_confirm()
        emit(
            drafts.filtered(lambda o: o.state == "purchase"),
            "purchase.order.confirmed.v1",
            lambda o: o._mfg_payload(),
        )
        return result
