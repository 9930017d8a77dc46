import logging
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields

from .test_delivery import WebhookCase

INCIDENT_LOGGER = "odoo.addons.mfg_integration_core.models.incident"
# not the level name: Odoo names its level 25 "INFO" too


class TestIncidentSources(WebhookCase):
    """What the webhook reports to core's incident service, and how its retry
    goes through the endpoint's queue rather than around it."""

    def test_dead_letter_reported_and_settled_once_delivered(self):
        self.endpoint.write({"max_attempts": 1, "failure_threshold": 100})
        self.receiver.respond = lambda receiver, headers, body: (500, {})
        event = self.emit()
        with self.assertLogs(INCIDENT_LOGGER, "ERROR") as logs:
            self.drain()
        delivery = self.delivery(event)
        self.assertEqual(delivery.state, "dead")
        self.assertTrue(delivery.incident_reported)
        [line] = logs.output
        self.assertIn("[delivery_failed]", line)
        self.assertIn(f"MES receiver did not accept {event.type}", line)
        self.assertIn(f"source {delivery._name}[{delivery.id}]", line)
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        self.assertIsNone(delivery._integration_retry(), "queued, not sent")
        self.assertEqual((delivery.state, len(self.receiver.requests)), ("pending", 1))
        with self.assertLogs(INCIDENT_LOGGER, logging.INFO) as logs:
            self.drain()
        self.assertEqual(delivery.state, "delivered")
        self.assertTrue(delivery._integration_succeeded())
        self.assertFalse(delivery.incident_reported)
        settled = f"Integration incident sources settled: {delivery._name}[{delivery.id}]"
        self.assertEqual(logs.output, [f"INFO:{INCIDENT_LOGGER}:{settled}"])
        # what was never reported settles nothing
        self.emit()
        with self.assertNoLogs(INCIDENT_LOGGER, logging.INFO):
            self.drain()

    def test_retry_keeps_fifo_order_of_the_subject(self):
        self.endpoint.write({"ordering": "fifo", "max_attempts": 1, "failure_threshold": 100})
        self.receiver.respond = lambda receiver, headers, body: (500, {})
        first = self.emit(subject="mrp.production/MO-1", step=1)
        second = self.emit(subject="mrp.production/MO-1", step=2)
        self.drain()
        self.assertEqual(
            (self.delivery(first).state, self.delivery(second).state), ("dead", "dead")
        )
        # the later event is retried first; the earlier one fails once more
        self.endpoint.max_attempts = 3
        self.receiver.requests.clear()
        self.receiver.respond = lambda receiver, headers, body: (
            (500, {}) if headers["webhook-id"] == first.event_uid else (200, {})
        )
        self.assertIsNone(self.delivery(second)._integration_retry())
        self.assertIsNone(self.delivery(first)._integration_retry())
        start = fields.Datetime.now()
        with freeze_time(start):
            self.drain()
        self.assertEqual(self.delivery(first).state, "retrying")
        self.assertEqual(self.delivery(second).state, "pending", "it waits for the earlier one")
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        with freeze_time(start + timedelta(seconds=10)):
            self.drain()
        sent = [r["headers"]["webhook-id"] for r in self.receiver.requests]
        self.assertEqual(sent, [first.event_uid, first.event_uid, second.event_uid])
        self.assertEqual(self.delivery(second).state, "delivered")

    def test_retry_respects_a_paused_endpoint_and_an_open_circuit(self):
        self.endpoint.write({"max_attempts": 1, "failure_threshold": 2, "cooldown_seconds": 60})
        self.receiver.respond = lambda receiver, headers, body: (503, {})
        events = [self.emit(subject=f"s/{index}") for index in range(3)]
        start = fields.Datetime.now()
        with freeze_time(start), self.assertLogs(INCIDENT_LOGGER, "ERROR") as logs:
            self.drain()
        self.assertEqual(self.endpoint.circuit_state, "open")
        self.assertEqual(
            sorted(line.split("[")[1].split("]")[0] for line in logs.output),
            ["circuit_open", "delivery_failed", "delivery_failed"],
        )
        self.assertTrue(self.endpoint.incident_reported)
        dead = self.delivery(events[0])
        self.assertEqual(dead.state, "dead")
        self.receiver.requests.clear()
        self.receiver.respond = lambda receiver, headers, body: (200, {})
        # open circuit: the retry waits for the cooldown like every other delivery
        with freeze_time(start + timedelta(seconds=30)):
            self.assertIsNone(dead._integration_retry())
            self.assertIsNone(self.endpoint._integration_retry())
            self.drain()
        self.assertEqual((dead.state, self.receiver.requests), ("pending", []))
        # paused endpoint: nothing leaves, even after the cooldown
        self.endpoint.state = "paused"
        with freeze_time(start + timedelta(seconds=120)):
            self.drain()
        self.assertEqual((dead.state, self.receiver.requests), ("pending", []))
        self.endpoint.state = "active"
        with (
            freeze_time(start + timedelta(seconds=120)),
            self.assertLogs(INCIDENT_LOGGER, logging.INFO) as logs,
        ):
            self.drain()
        self.assertEqual(dead.state, "delivered")
        self.assertEqual(self.endpoint.circuit_state, "closed")
        self.assertFalse(self.endpoint.incident_reported)
        self.assertTrue(self.endpoint._integration_succeeded())
        settled = " ".join(logs.output)
        self.assertIn(f"{self.endpoint._name}[{self.endpoint.id}]", settled)
        self.assertIn(f"{dead._name}[{dead.id}]", settled)
