from odoo import api, models
from odoo.tools import SQL

from odoo.addons.mfg_integration_core.models.retention import RetentionRule


class MfgIntegrationRetention(models.AbstractModel):
    _inherit = "mfg.integration.retention"

    @api.model
    def _retention_rules(self):
        rules = super()._retention_rules()
        # closed ones only; through the ORM, which removes their chatter too
        rules["exception"] = RetentionRule(
            "mfg.integration.exception",
            "exception_retention_days",
            180,
            where=SQL("state IN ('resolved', 'ignored')"),
            chunk_size=500,
            orm_unlink=True,
        )
        return rules
