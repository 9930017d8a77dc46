from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mfg_audit_retention_days = fields.Integer(
        string="Audit Trail Retention (days)",
        config_parameter="mfg_integration.audit_retention_days",
        default=730,
        help="Audit rows older than this are purged by the hourly retention job. 0 keeps them all.",
    )
    mfg_auth_failures_per_minute = fields.Integer(
        string="Bad Credentials per Minute",
        config_parameter="mfg_integration.auth_failures_per_minute",
        default=60,
        help="Requests with a missing, unknown or wrong API key that one address may send per "
        "minute before it gets 429 until the minute ends. 0: never throttled.",
    )
