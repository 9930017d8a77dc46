from odoo import fields, models


class MfgIntegrationBrokerDelivery(models.Model):
    """One event published to one broker sink, with its attempts."""

    _name = "mfg.integration.broker.delivery"
    _inherit = ["mfg.integration.outbox.delivery"]
    _description = "Broker Delivery"
    _order = "id desc"
    _sink_field = "sink_id"

    sink_id = fields.Many2one(
        "mfg.integration.broker.sink", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="sink_id.company_id", store=True)

    _sql_constraints = [
        (
            "event_sink_uniq",
            "unique(event_id, sink_id)",
            "An event is published once per broker sink.",
        ),
    ]
