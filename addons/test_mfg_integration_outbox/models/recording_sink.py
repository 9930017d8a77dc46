"""A sink kind that is not HTTP: it sends one delivery after the other into a table."""

from odoo import fields, models

from odoo.addons.mfg_integration_core.models.outbox_delivery import SendOutcome


class TestMfgOutboxSink(models.Model):
    _name = "test.mfg.outbox.sink"
    _inherit = ["mfg.integration.outbox.sink"]
    _description = "Recording Sink (tests)"
    _delivery_model = "test.mfg.outbox.delivery"

    answer = fields.Selection(
        [("accept", "Accept"), ("fail", "Fail"), ("busy", "Busy"), ("reject", "Reject")],
        default="accept",
        required=True,
        help="Fail retries on the schedule; busy asks for a pause; reject gives up at once.",
    )
    busy_seconds = fields.Integer(default=120)
    failing_subjects = fields.Char(
        help="Comma-separated subjects the answer is for; the others are accepted. "
        "Empty: the answer is for every subject."
    )
    delivery_ids = fields.One2many("test.mfg.outbox.delivery", "sink_id")

    def _answer_for(self, delivery):
        subjects = {s.strip() for s in (self.failing_subjects or "").split(",") if s.strip()}
        return self.answer if not subjects or delivery.subject in subjects else "accept"

    def _send_batch(self, deliveries, transport):
        for delivery in deliveries:
            self.env["test.mfg.outbox.sent"]._record(self, delivery, len(deliveries))
            answer = self._answer_for(delivery)
            yield SendOutcome(
                delivered=answer == "accept",
                error=None if answer == "accept" else f"the receiver said {answer}",
                retry_after=self.busy_seconds if answer == "busy" else None,
                final=answer == "reject",
                log={"route": f"test://{self.name}"},
            )


class TestMfgOutboxDelivery(models.Model):
    _name = "test.mfg.outbox.delivery"
    _inherit = ["mfg.integration.outbox.delivery"]
    _description = "Recording Sink Delivery (tests)"
    _sink_field = "sink_id"

    sink_id = fields.Many2one("test.mfg.outbox.sink", required=True, ondelete="cascade")
    dead_lettered = fields.Boolean(help="Set by the dead-letter hook.")

    def _on_dead_letter(self):
        result = super()._on_dead_letter()
        self.dead_lettered = True
        return result


class TestMfgOutboxSent(models.Model):
    """What the test sinks sent: one row per delivery and attempt."""

    _name = "test.mfg.outbox.sent"
    _description = "Sent by a Test Sink"
    _order = "id"

    sink = fields.Char(help="model,id of the sink")
    event_uid = fields.Char()
    subject = fields.Char()
    attempt = fields.Integer()
    batch_size = fields.Integer(help="How many deliveries the send call was given.")

    def _record(self, sink, delivery, batch_size):
        return self.create(
            {
                "sink": f"{sink._name},{sink.id}",
                "event_uid": delivery.event_id.event_uid,
                "subject": delivery.subject,
                "attempt": delivery.attempts + 1,
                "batch_size": batch_size,
            }
        )
