from odoo import api, models
from odoo.osv import expression

from odoo.addons.mfg_integration_core.write_locks import wait_for_writers

# Transactions that change the stock of one product take turns.
#
# Orders of one product reserve the same component quants; receipts, counts and
# confirmations change them too. Under Odoo's REPEATABLE READ such transactions
# fail each other (serialization errors) until the retries run out. Each of them
# waits here for the others instead (see mfg_integration_core.write_locks); a
# production order names all its products at once
# (mrp.production._mfg_wait_for_stock_writers), so that a request retried after
# waiting takes every lock it needs before its new snapshot.
PRODUCT_STOCK = "stock.quant.product"


class StockQuant(models.Model):
    _inherit = "stock.quant"

    # ------------------------------------------------------------------
    # Business methods (what the commands call)
    # ------------------------------------------------------------------

    @api.model
    def _get_gather_domain(
        self, product_id, location_id, lot_id=None, package_id=None, owner_id=None, strict=False
    ):
        domain = super()._get_gather_domain(
            product_id, location_id, lot_id, package_id, owner_id, strict
        )
        if not lot_id and not strict:
            # held lots are never picked by a reservation
            domain = expression.AND(
                [domain, ["|", ("lot_id", "=", False), ("lot_id.mfg_hold", "=", False)]]
            )
        return domain

    @api.model
    def _mfg_apply_count(self, product, location, lot, quantity):
        """Set the counted quantity of a product (and lot) loose in a location
        (in no package, of no owner); return the quantity Odoo had before and
        the quant that holds it now.

        The stock may be split over several quants there (moves in at
        different dates): the count is their total, so the first one takes
        the counted quantity and the others are emptied."""
        Quant = self.with_context(inventory_mode=True)
        quants = Quant.search(
            [
                ("product_id", "=", product.id),
                ("location_id", "=", location.id),
                ("lot_id", "=", lot.id if lot else False),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ],
            order="id",
        )
        on_hand = sum(quants.mapped("quantity"))
        if quants:
            quant = quants[0]
            quant.inventory_quantity = quantity
            (quants - quant).inventory_quantity = 0
        else:
            quants = quant = Quant.create(
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "lot_id": lot.id if lot else False,
                    "inventory_quantity": quantity,
                }
            )
        quants.action_apply_inventory()
        return on_hand, quant

    # ------------------------------------------------------------------
    # Stock writers take turns (PRODUCT_STOCK above)
    # ------------------------------------------------------------------

    @api.model
    def _update_available_quantity(self, product_id, location_id, *args, **kwargs):
        wait_for_writers(self.env.cr, PRODUCT_STOCK, product_id.ids)
        return super()._update_available_quantity(product_id, location_id, *args, **kwargs)

    # ------------------------------------------------------------------
    # Outbound events
    # ------------------------------------------------------------------

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
