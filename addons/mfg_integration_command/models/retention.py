from odoo import api, models
from odoo.tools import SQL

from odoo.addons.mfg_integration_core.models.retention import RetentionRule


class MfgIntegrationRetention(models.AbstractModel):
    _inherit = "mfg.integration.retention"

    @api.model
    def _retention_rules(self):
        rules = super()._retention_rules()
        finished = SQL("state IN ('done', 'partial', 'failed')")
        # a batch's items first, in chunks of their own: one request may hold a thousand
        rules["api_request_item"] = RetentionRule(
            "mfg.integration.api.request.item",
            "api_request_retention_days",
            30,
            where=SQL(
                "request_id IN (SELECT id FROM mfg_integration_api_request WHERE %s)", finished
            ),
            chunk_size=5000,
        )
        # never a queued or running one
        rules["api_request"] = RetentionRule(
            "mfg.integration.api.request", "api_request_retention_days", 30, where=finished
        )
        # once its replay window (mfg_integration.api_idempotency_hours) has ended
        rules["idempotency"] = RetentionRule(
            "mfg.integration.idempotency", None, date_field="expires_at", chunk_size=5000
        )
        return rules
