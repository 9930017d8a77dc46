"""Which business changes emit which canonical events (the outbox is the core's).

Each event is written in the transaction of its change.
"""

from odoo import api, fields, models


def emit(records, type_name, payload_of):
    Event = records.env["mfg.integration.event"]
    for record in records:
        Event._emit(type_name, record, payload_of(record), subject=f"{record._name}/{record.name}")


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    mfg_released = fields.Boolean(copy=False, help="The released event was emitted.")

    def _mfg_payload(self):
        ref = self.env["mfg.integration.event"]._ref
        return {
            "production": ref(self),
            "product": ref(self.product_id),
            "state": self.state,
            "planned_quantity": self.product_qty,
            "produced_quantity": self.qty_produced if self.state == "done" else self.qty_producing,
            "scrapped_quantity": self.mfg_scrapped_qty,
            "unit": self.product_uom_id.name,
            "lot": ref(self.lot_producing_id),
            "date_start": fields.Datetime.to_string(self.date_start) if self.date_start else None,
            "date_deadline": (
                fields.Datetime.to_string(self.date_deadline) if self.date_deadline else None
            ),
            "origin": self.origin or None,
        }

    def action_confirm(self):
        result = super().action_confirm()
        emit(
            self.filtered(lambda p: p.state == "confirmed"),
            "mrp.production.confirmed.v1",
            lambda p: p._mfg_payload(),
        )
        return result

    def _mfg_release(self):
        to_release = self.filtered(
            lambda p: not p.mfg_released and p.state not in ("draft", "cancel")
        )
        if to_release:
            to_release.mfg_released = True
            emit(to_release, "mrp.production.released.v1", lambda p: p._mfg_payload())

    def button_plan(self):
        result = super().button_plan()
        self._mfg_release()
        return result

    def button_mark_done(self):
        result = super().button_mark_done()
        done = self.filtered(lambda p: p.state == "done")
        emit(
            done,
            "mrp.production.done.v1",
            lambda p: {
                **p._mfg_payload(),
                "finished_lots": [
                    {
                        "lot": p.env["mfg.integration.event"]._ref(line.lot_id),
                        "quantity": line.quantity,
                    }
                    for line in p.move_finished_ids.move_line_ids.filtered("lot_id")
                ],
                "consumed": [
                    {
                        "product": p.env["mfg.integration.event"]._ref(move.product_id),
                        "quantity": move.quantity,
                    }
                    for move in p.move_raw_ids.filtered(lambda m: m.state == "done")
                ],
            },
        )
        return result

    def action_cancel(self):
        result = super().action_cancel()
        emit(
            self.filtered(lambda p: p.state == "cancel"),
            "mrp.production.cancelled.v1",
            lambda p: p._mfg_payload(),
        )
        return result


class MrpWorkorder(models.Model):
    _inherit = "mrp.workorder"

    def _mfg_emit(self, type_name):
        ref = self.env["mfg.integration.event"]._ref
        emit(
            self,
            type_name,
            lambda w: {
                "workorder": ref(w),
                "production": ref(w.production_id),
                "work_center": ref(w.workcenter_id),
                "state": w.state,
                "duration_minutes": round(w.duration, 2),
            },
        )

    def button_start(self, raise_on_invalid_state=False):
        result = super().button_start(raise_on_invalid_state=raise_on_invalid_state)
        self._mfg_emit("mrp.workorder.started.v1")
        self.production_id._mfg_release()
        return result

    def button_pending(self):
        result = super().button_pending()
        self._mfg_emit("mrp.workorder.paused.v1")
        return result

    def button_finish(self):
        running = self.filtered(lambda w: w.state not in ("done", "cancel"))
        result = super().button_finish()
        running._mfg_emit("mrp.workorder.done.v1")
        return result


class StockPicking(models.Model):
    _inherit = "stock.picking"

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


class StockQuant(models.Model):
    _inherit = "stock.quant"

    def _apply_inventory(self):
        ref = self.env["mfg.integration.event"]._ref
        before = {quant.id: (quant.quantity, quant.inventory_quantity) for quant in self}
        result = super()._apply_inventory()
        for quant in self:
            previous, counted = before[quant.id]
            self.env["mfg.integration.event"]._emit(
                "stock.inventory.adjusted.v1",
                quant,
                {
                    "product": ref(quant.product_id),
                    "location": ref(quant.location_id),
                    "lot": ref(quant.lot_id),
                    "previous_quantity": previous,
                    "counted_quantity": counted,
                    "difference": counted - previous,
                },
                subject=(
                    f"stock.quant/{quant.product_id.id}/{quant.location_id.id}/"
                    f"{quant.lot_id.id or 0}"
                ),
            )
        return result


class PurchaseOrder(models.Model):
    _inherit = "purchase.order"

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


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

    def write(self, vals):
        result = super().write(vals)
        if {"product_qty", "date_planned", "price_unit"} & set(vals):
            orders = self.order_id.filtered(lambda o: o.state == "purchase")
            emit(orders, "purchase.order.changed.v1", lambda o: o._mfg_payload())
        return result


class StockLot(models.Model):
    _inherit = "stock.lot"

    def _mfg_lot_payload(self):
        ref = self.env["mfg.integration.event"]._ref
        return {
            "lot": ref(self),
            "product": ref(self.product_id),
            "on_hold": self.mfg_hold,
            "reason": self.mfg_hold_reason or None,
        }

    def _mfg_put_on_hold(self, reason):
        blocked = super()._mfg_put_on_hold(reason)
        emit(self, "stock.lot.held.v1", lambda lot: lot._mfg_lot_payload())
        return blocked

    def _mfg_release_hold(self, reason):
        result = super()._mfg_release_hold(reason)
        emit(self, "stock.lot.released.v1", lambda lot: lot._mfg_lot_payload())
        return result


class MfgIntegrationProductionVariance(models.Model):
    _inherit = "mfg.integration.production.variance"

    @api.model
    def _on_variance_recorded(self, variance):
        result = super()._on_variance_recorded(variance)
        ref = self.env["mfg.integration.event"]._ref
        self.env["mfg.integration.event"]._emit(
            "mrp.production.variance.v1",
            variance.production_id,
            {
                "production": ref(variance.production_id),
                "product": ref(variance.product_id),
                "planned_quantity": variance.planned_qty,
                "produced_quantity": variance.produced_qty,
                "scrapped_quantity": variance.scrapped_qty,
                "variance_quantity": variance.variance_qty,
                "variance_percent": round(variance.variance_pct, 2),
                "tolerance_percent": variance.tolerance_pct,
            },
            subject=f"mrp.production/{variance.production_id.name}",
        )
        return result
