import json
from datetime import datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.mfg_integration_maintenance.tests.common import MachineCase, stamp
from odoo.addons.mfg_integration_observability import metrics


def counted(outcome, company):
    """What this process counted in mfg_mqtt_messages_total (no metrics directory)."""
    labels = {"subscription": "Counters", "outcome": outcome, "company": str(company.id)}
    return metrics._registry.get_sample_value("mfg_mqtt_messages_total", labels) or 0.0


@tagged("post_install", "-at_install")
class TestMqttSubscription(MachineCase):
    """What a subscription does with the messages the consumer hands over:
    the real pipeline, the real equipment commands, in one transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.broker = cls.env["mfg.integration.mqtt.broker"].create(
            {"name": "Plant 1", "client_identifier": "odoo-test-plant1"}
        )
        Subscription = cls.env["mfg.integration.mqtt.subscription"]
        common = {"broker_id": cls.broker.id, "client_id": cls.machines.id, "subject_segment": 3}
        cls.states = Subscription.create(
            {
                **common,
                "name": "States",
                "topic": "plant1/+/+/state",
                "command_name": "equipment.state",
            }
        )
        cls.counters = Subscription.create(
            {
                **common,
                "name": "Counters",
                "topic": "plant1/+/+/counters",
                "command_name": "equipment.counters",
            }
        )

    def message(self, seq, **body):
        return json.dumps({"seq": seq, **body}).encode()

    def exceptions(self):
        return self.env["mfg.integration.exception"].search([("category", "=", "mqtt_refused")])

    def test_counters_window_summed_once_and_redelivery_not_counted_twice(self):
        window = [
            self.message(1, good=10, rejected=1, at=self.at(1)),
            self.message(2, good=7, rejected=0, at=self.at(2)),
            self.message(3, good=0, rejected=2, at=self.at(3)),
        ]
        logs_before = self.env["mfg.integration.message.log"].search_count([])
        applied_before, duplicates_before = (
            counted("applied", self.company),
            counted("duplicate", self.company),
        )
        counts = self.counters._receive("plant1/line1/PRESS-01/counters", window)
        self.assertEqual(dict(counts), {"applied": 3})
        count = self.press.mfg_count_ids
        self.assertEqual(len(count), 1, "a window is one transaction, one count row")
        self.assertEqual((count.good_qty, count.rejected_qty), (17, 3))
        self.assertEqual(count.date_end, self.start + timedelta(minutes=3))
        log = self.last_log()
        self.assertEqual(self.env["mfg.integration.message.log"].search_count([]), logs_before + 1)
        self.assertEqual(log.route, "MQTT plant1/+/+/counters")
        self.assertEqual(log.status, "success")

        # the broker delivers the window again (the consumer died before its
        # acknowledgement) followed by a new message: only the new one counts
        window.append(self.message(4, good=5, rejected=0, at=self.at(4)))
        counts = self.counters._receive("plant1/line1/PRESS-01/counters", window)
        self.assertEqual(dict(counts), {"duplicate": 3, "applied": 1})
        self.assertEqual(sum(self.press.mfg_count_ids.mapped("good_qty")), 22)
        self.assertEqual(sum(self.press.mfg_count_ids.mapped("rejected_qty")), 3)
        self.assertEqual((self.counters.applied_count, self.counters.duplicate_count), (4, 3))
        self.assertEqual(counted("applied", self.company) - applied_before, 4)
        self.assertEqual(counted("duplicate", self.company) - duplicates_before, 3)
        cursor = self.counters.cursor_ids
        self.assertEqual((cursor.subject, cursor.last_sequence), ("PRESS-01", 4))

    def test_states_apply_in_order_once(self):
        topic = "plant1/line1/PRESS-01/state"
        self.states._receive(topic, [self.message(1, state="running", at=self.at(0))])
        counts = self.states._receive(
            topic, [self.message(2, state="down", reason="E-SPINDLE", at=self.at(10))]
        )
        self.assertEqual(dict(counts), {"applied": 1})
        self.assertEqual(self.press.mfg_machine_state, "down")
        self.assertEqual(self.workcenter.working_state, "blocked")
        request = self.requests_of(self.press)
        self.assertEqual(request.mfg_occurrences, 1)
        # the stop delivered again is recognised: no second occurrence
        counts = self.states._receive(
            topic, [self.message(2, state="down", reason="E-SPINDLE", at=self.at(10))]
        )
        self.assertEqual(dict(counts), {"duplicate": 1})
        self.assertEqual(request.mfg_occurrences, 1)
        self.assertEqual(len(self.rows_of(self.press)), 2)

    def test_bad_messages_refused_counted_and_reported_once_per_cause_and_equipment(self):
        topic = "plant1/line1/PRESS-01/counters"
        counts = self.counters._receive(
            topic,
            [
                b"{not json",
                self.message(1, good=-3, rejected=0, at=self.at(1)),
                self.message(2, good=4, rejected=1, at=self.at(2)),
                json.dumps({"good": 1, "rejected": 0, "at": self.at(3)}).encode(),
                self.message(3, good=-1, rejected=0, at=self.at(3)),
            ],
        )
        self.assertEqual(dict(counts), {"refused": 4, "applied": 1})
        # what was good in the window still counts, exactly
        self.assertEqual(self.press.mfg_count_ids.good_qty, 4)
        refused = self.counters.refused_message_ids.sorted("id")
        self.assertEqual(
            refused.mapped("problem_type"),
            ["malformed-json", "validation-error", "validation-error", "validation-error"],
        )
        self.assertEqual(json.loads(refused[1].problem)["errors"][0]["pointer"], "/good")
        self.assertEqual(json.loads(refused[2].problem)["errors"][0]["pointer"], "/seq")
        self.assertEqual(refused[0].payload, "{not json")
        self.assertEqual(set(refused.mapped("subject")), {"PRESS-01"})
        self.assertEqual(self.counters.refused_count, 4)
        # one exception per cause and equipment, the repeats counted on it
        exceptions = self.exceptions()
        self.assertEqual(len(exceptions), 2)
        by_count = exceptions.sorted("occurrence_count")
        self.assertEqual(by_count.mapped("occurrence_count"), [1, 3])

        # the state from the future, and an unknown machine
        future = stamp(datetime.utcnow() + timedelta(hours=2))
        self.states._receive(
            "plant1/line1/PRESS-01/state", [self.message(1, state="running", at=future)]
        )
        self.states._receive(
            "plant1/line1/PRESS-77/state", [self.message(1, state="running", at=self.at(1))]
        )
        self.states._receive(
            "plant1/line1/PRESS-77/state", [self.message(2, state="idle", at=self.at(2))]
        )
        refused = self.states.refused_message_ids.sorted("id")
        self.assertEqual(
            refused.mapped("problem_type"), ["validation-error", "not-found", "not-found"]
        )
        self.assertIn("future", refused[0].reason)
        self.assertEqual(len(self.exceptions()), 4)
        self.assertEqual(self.press.mfg_machine_state, "unknown")

        # the unknown machine gets its cross-reference: Retry applies the kept message
        press_77 = self.env["maintenance.equipment"].create({"name": "Press 77"})
        self.env["mfg.integration.xref"].create(
            {
                "system_id": self.mes.id,
                "object_type_id": self.env.ref(
                    "mfg_integration_maintenance.object_type_equipment"
                ).id,
                "external_id": "PRESS-77",
                "res_id": press_77.id,
            }
        )
        self.assertTrue(refused[1]._integration_retry())
        self.assertEqual(refused[1].state, "applied")
        self.assertEqual(press_77.mfg_machine_state, "running")

    def test_subscription_checks_its_command(self):
        with self.assertRaises(ValidationError):
            self.env["mfg.integration.mqtt.subscription"].create(
                {
                    "name": "Nothing",
                    "broker_id": self.broker.id,
                    "client_id": self.machines.id,
                    "topic": "plant1/+/+/x",
                    "command_name": "equipment.nothing",
                    "subject_segment": 3,
                }
            )
        with self.assertRaises(ValidationError):
            self.env["mfg.integration.mqtt.subscription"].create(
                {
                    "name": "No subject",
                    "broker_id": self.broker.id,
                    "client_id": self.machines.id,
                    "topic": "plant1/+/+/x",
                    "command_name": "equipment.state",
                    "subject_segment": 0,
                }
            )
        config = self.broker._consumer_config()[self.broker.id]
        self.assertEqual(config["client_identifier"], "odoo-test-plant1")
        self.assertEqual(
            {(s["topic"], s["summed"]) for s in config["subscriptions"]},
            {("plant1/+/+/state", False), ("plant1/+/+/counters", True)},
        )
