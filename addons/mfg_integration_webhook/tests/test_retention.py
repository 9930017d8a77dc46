from odoo.addons.mfg_integration_core.tests.test_retention import RetentionCase


class TestWebhookRetention(RetentionCase):
    """Deliveries go once final; their events once every delivery is."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # subscribed to nothing: the test makes the deliveries it needs
        cls.endpoint, cls.other_endpoint = cls.env["mfg.integration.webhook.endpoint"].create(
            [
                {
                    "name": name,
                    "url": "http://127.0.0.1:9/",
                    "allow_insecure": True,
                    "event_types": "test.nothing.v1",
                    "state": "paused",
                }
                for name in ("Retention receiver", "Second receiver")
            ]
        )

    def delivered_event(self, state, days):
        """An event of `days` ago with one delivery in `state`."""
        event = self.event(days)
        delivery = self.env["mfg.integration.webhook.delivery"].create(
            {"event_id": event.id, "endpoint_id": self.endpoint.id, "state": state}
        )
        self.age(delivery, days)
        return event, delivery

    def test_only_final_deliveries_and_their_events_go(self):
        old_delivered = self.delivered_event("delivered", 40)
        recent_delivered = self.delivered_event("delivered", 10)
        old_pending = self.delivered_event("pending", 400)
        old_retrying = self.delivered_event("retrying", 400)
        dead_within_retention = self.delivered_event("dead", 60)
        dead_past_retention = self.delivered_event("dead", 100)
        # one delivery still retrying keeps the event, though the other was delivered
        mixed_event, mixed_delivered = self.delivered_event("delivered", 40)
        mixed_retrying = self.env["mfg.integration.webhook.delivery"].create(
            {"event_id": mixed_event.id, "endpoint_id": self.other_endpoint.id, "state": "retrying"}
        )
        self.age(mixed_retrying, 40)

        self.purge()

        for event, delivery in (old_delivered, dead_past_retention):
            self.assertFalse(delivery.exists())
            self.assertFalse(event.exists())
        for event, delivery in (
            recent_delivered,
            old_pending,
            old_retrying,
            dead_within_retention,
        ):
            self.assertTrue(delivery.exists(), delivery.state)
            self.assertTrue(event.exists(), delivery.state)
        self.assertTrue(mixed_event.exists())
        self.assertTrue(mixed_retrying.exists())
        self.assertFalse(mixed_delivered.exists())

    def test_dead_letters_are_kept_while_their_retention_says_so(self):
        self.env["ir.config_parameter"].set_param("mfg_integration.dead_letter_retention_days", 0)
        event, dead = self.delivered_event("dead", 4000)
        self.purge()
        self.assertTrue(dead.exists())
        self.assertTrue(event.exists())
