"""A second sink kind: the whole batch in one call, outcomes for all of it at once
(as a broker publisher sends a batch and collects the confirms)."""

from odoo import fields, models

from odoo.addons.mfg_integration_core.models.outbox_delivery import SendOutcome


class TestMfgOutboxBatchSink(models.Model):
    _name = "test.mfg.outbox.batch.sink"
    _inherit = ["mfg.integration.outbox.sink"]
    _description = "Batch Sink (tests)"
    _delivery_model = "test.mfg.outbox.batch.delivery"

    delivery_ids = fields.One2many("test.mfg.outbox.batch.delivery", "sink_id")

    def _send_batch(self, deliveries, transport):
        Sent = self.env["test.mfg.outbox.sent"]
        for delivery in deliveries:
            Sent._record(self, delivery, len(deliveries))
        return [SendOutcome(delivered=True, log={"route": f"batch://{self.name}"})] * len(
            deliveries
        )


class TestMfgOutboxBatchDelivery(models.Model):
    _name = "test.mfg.outbox.batch.delivery"
    _inherit = ["mfg.integration.outbox.delivery"]
    _description = "Batch Sink Delivery (tests)"
    _sink_field = "sink_id"

    sink_id = fields.Many2one("test.mfg.outbox.batch.sink", required=True, ondelete="cascade")
