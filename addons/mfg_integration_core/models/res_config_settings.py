from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mfg_log_retention_days = fields.Integer(
        string="Message Log Retention (days)",
        config_parameter="mfg_integration.log_retention_days",
        default=30,
        help="Message-log rows older than this are purged every night. 0 keeps them all.",
    )
    mfg_log_payload_max_bytes = fields.Integer(
        string="Logged Payload Limit (bytes)",
        config_parameter="mfg_integration.log_payload_max_bytes",
        default=65536,
        help="Request and response bodies are cut to this size in the message log.",
    )
