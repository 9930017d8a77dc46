from odoo import fields, models


class BigInteger(fields.Integer):
    """An integer column of 64 bits: a sequence may be a timestamp in
    milliseconds (Sparkplug B)."""

    _column_type = ("int8", "int8")


class MfgIntegrationMqttCursor(models.Model):
    """The last sequence number applied per subscription and subject: a
    message the broker delivers again after a consumer crash (applied, but
    not yet acknowledged) is recognised and not applied twice. For Sparkplug
    B, also the subject's birth certificate (to read its DATA messages) and
    whether it is alive."""

    _name = "mfg.integration.mqtt.cursor"
    _description = "MQTT Sequence Cursor"
    _order = "subscription_id, subject"

    subscription_id = fields.Many2one(
        "mfg.integration.mqtt.subscription", required=True, ondelete="cascade", index=True
    )
    subject = fields.Char(required=True)
    last_sequence = BigInteger(required=True, default=0)
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)
    sparkplug_node = fields.Char(
        string="Edge Node", help="The Sparkplug edge node the subject was born under."
    )
    birth_payload = fields.Binary(
        attachment=False, help="The last Sparkplug birth certificate, as received."
    )
    birth_timestamp = BigInteger(help="The birth's Sparkplug timestamp (ms since the epoch).")
    birth_death_sequence = fields.Integer(
        string="bdSeq", help="The edge node's birth/death sequence number at its last birth."
    )
    birth_metrics = fields.Char(
        string="Declared Metrics", help="The metrics the last birth declared."
    )
    born_at = fields.Datetime(readonly=True)
    dead_at = fields.Datetime(
        readonly=True, help="When its death certificate arrived; empty while it is alive."
    )

    _sql_constraints = [
        ("subject_uniq", "unique(subscription_id, subject)", "One cursor per subject."),
    ]
