from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mfg_log_retention_days = fields.Integer(
        string="Message Log Retention (days)",
        config_parameter="mfg_integration.log_retention_days",
        default=30,
        help="Message-log rows older than this are purged by the hourly retention job. "
        "0 keeps them all.",
    )
    mfg_event_retention_days = fields.Integer(
        string="Event Retention (days)",
        config_parameter="mfg_integration.event_retention_days",
        default=30,
        help="Outbox events older than this are purged once every delivery of them is final. "
        "0 keeps them all.",
    )
    mfg_log_payload_max_bytes = fields.Integer(
        string="Logged Payload Limit (bytes)",
        config_parameter="mfg_integration.log_payload_max_bytes",
        default=65536,
        help="Request and response bodies are cut to this size in the message log.",
    )

    def action_purge_message_log(self):
        """Purge expired message-log rows now, in a background job."""
        self.env["mfg.integration.message.log"].with_delay(
            description="Purge expired integration message log rows",
            identity_key="mfg_integration_purge_message_log",
        )._purge_expired()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("The purge runs in the background (Queue Jobs)."),
                "sticky": False,
            },
        }
