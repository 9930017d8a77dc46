from odoo import api, models
from odoo.tools import SQL

from odoo.addons.mfg_integration_core.models.retention import RetentionRule


class MfgIntegrationRetention(models.AbstractModel):
    _inherit = "mfg.integration.retention"

    @api.model
    def _retention_rules(self):
        rules = super()._retention_rules()
        dead_cutoff = self._cutoff("dead_letter_retention_days", 90)
        # a dead letter is final once past its own retention (0: kept until replayed)
        final = (
            SQL("state = 'delivered' OR (state = 'dead' AND create_date < %s)", dead_cutoff)
            if dead_cutoff
            else SQL("state = 'delivered'")
        )
        # never a pending or retrying delivery, never a dead letter within its retention
        rules["webhook_delivery"] = RetentionRule(
            "mfg.integration.webhook.delivery",
            "delivery_retention_days",
            30,
            where=final,
            chunk_size=5000,
        )
        # an event stays while any of its deliveries is not final
        rules["event"].keep.append(
            SQL(
                """EXISTS (SELECT 1 FROM mfg_integration_webhook_delivery
                            WHERE event_id = mfg_integration_event.id AND NOT (%s))""",
                final,
            )
        )
        return rules
