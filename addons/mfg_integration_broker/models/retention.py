from odoo import api, models
from odoo.tools import SQL

from odoo.addons.mfg_integration_core.models.retention import RetentionRule


class MfgIntegrationRetention(models.AbstractModel):
    _inherit = "mfg.integration.retention"

    @api.model
    def _retention_rules(self):
        rules = super()._retention_rules()
        # kept like the outbox's dead letters; once applied, like the message log
        rules["broker_dead_message"] = RetentionRule(
            "mfg.integration.broker.dead.message",
            "dead_letter_retention_days",
            90,
            where=SQL("state = 'dead'"),
        )
        rules["broker_applied_message"] = RetentionRule(
            "mfg.integration.broker.dead.message",
            "log_retention_days",
            30,
            where=SQL("state = 'applied'"),
        )
        return rules
