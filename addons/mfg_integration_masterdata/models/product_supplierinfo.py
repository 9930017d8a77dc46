from odoo import api, models


class ProductSupplierinfo(models.Model):
    _inherit = "product.supplierinfo"

    @api.model
    def _mfg_upsert(self, partner, template, min_qty, date_start, values):
        """The price break of a supplier for a product at a minimum quantity
        and start date, created or updated; (record, created)."""
        terms = self.search(
            [
                ("partner_id", "=", partner.id),
                ("product_tmpl_id", "=", template.id),
                ("product_id", "=", False),
                ("min_qty", "=", min_qty),
                ("date_start", "=", date_start or False),
                ("company_id", "in", [False, self.env.company.id]),
            ],
            limit=1,
        )
        if terms:
            terms.write(values)
            return terms, False
        terms = self.create(
            {
                **values,
                "partner_id": partner.id,
                "product_tmpl_id": template.id,
                "min_qty": min_qty,
                "date_start": date_start,
                "company_id": self.env.company.id,
            }
        )
        return terms, True
