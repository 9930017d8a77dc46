"""Transactions that change the stock of one product take turns.

Orders of one product reserve the same component quants; receipts, counts and
confirmations change them too. Under Odoo's REPEATABLE READ such transactions
fail each other (serialization errors) until the retries run out. Each of them
waits here for the others instead (see mfg_integration_core.write_locks); a
production order names all its products at once, so that a request retried
after waiting takes every lock it needs before its new snapshot.
"""

from odoo import api, models

from odoo.addons.mfg_integration_core.write_locks import wait_for_writers

PRODUCT_STOCK = "stock.quant.product"


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _update_available_quantity(self, product_id, location_id, *args, **kwargs):
        wait_for_writers(self.env.cr, PRODUCT_STOCK, product_id.ids)
        return super()._update_available_quantity(product_id, location_id, *args, **kwargs)


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    def _mfg_wait_for_stock_writers(self):
        """Take turns with every other writer of the stock these orders move."""
        moves = self.move_raw_ids | self.move_finished_ids
        products = self.product_id | moves.product_id
        wait_for_writers(self.env.cr, PRODUCT_STOCK, products.ids)

    def action_confirm(self):
        self._mfg_wait_for_stock_writers()
        return super().action_confirm()

    def button_mark_done(self):
        self._mfg_wait_for_stock_writers()
        return super().button_mark_done()
