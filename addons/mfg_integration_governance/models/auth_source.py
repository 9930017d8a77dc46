from odoo import api, models


class MfgIntegrationAuthSource(models.AbstractModel):
    """What API authentication reads on every request (keys, clients, scopes)
    and caches: any change to such a record clears that cache, in every worker
    (Odoo signals cache invalidations through the database)."""

    _name = "mfg.integration.auth.source"
    _description = "Read by API Authentication"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
