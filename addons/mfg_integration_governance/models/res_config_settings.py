from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mfg_audit_retention_days = fields.Integer(
        string="Audit Trail Retention (days)",
        config_parameter="mfg_integration.audit_retention_days",
        default=730,
        help="Audit rows older than this are purged every night. 0 keeps them all.",
    )
