from odoo import api, models

from odoo.addons.mfg_integration_core.models.retention import RetentionRule


class MfgIntegrationRetention(models.AbstractModel):
    _inherit = "mfg.integration.retention"

    @api.model
    def _retention_rules(self):
        rules = super()._retention_rules()
        # the longest default: the trail outlives what it speaks of
        rules["audit_log"] = RetentionRule(
            "mfg.integration.audit.log", "audit_retention_days", 730, chunk_size=5000
        )
        # the counts of refused credentials belong with the message log they stand for
        rules["credential_refusal"] = RetentionRule(
            "mfg.integration.credential.refusal",
            "log_retention_days",
            30,
            date_field="minute",
            chunk_size=5000,
        )
        return rules

    @api.model
    def _purge_all(self):
        purged = super()._purge_all()
        purged["rate_bucket"] = self.env["mfg.integration.auth"]._purge_idle_buckets()
        return purged
