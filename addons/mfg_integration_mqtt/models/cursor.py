from odoo import fields, models


class MfgIntegrationMqttCursor(models.Model):
    """The last sequence number applied per subscription and subject: a
    message the broker delivers again after a consumer crash (applied, but
    not yet acknowledged) is recognised and not applied twice."""

    _name = "mfg.integration.mqtt.cursor"
    _description = "MQTT Sequence Cursor"
    _order = "subscription_id, subject"

    subscription_id = fields.Many2one(
        "mfg.integration.mqtt.subscription", required=True, ondelete="cascade", index=True
    )
    subject = fields.Char(required=True)
    last_sequence = fields.Integer(required=True, default=0)
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)

    _sql_constraints = [
        ("subject_uniq", "unique(subscription_id, subject)", "One cursor per subject."),
    ]
