from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

    def write(self, vals):
        result = super().write(vals)
        if "active" in vals:
            # API authentication caches the companies each client may act in
            self.env.registry.clear_cache()
        return result
