import json
import time
from datetime import UTC, datetime

import pysparkplug as spb

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.mfg_integration_maintenance.tests.common import MachineCase

STRING, UINT64 = spb.DataType.STRING, spb.DataType.UINT64
NODE = "spBv1.0/plant1/{}/GW1"
DEVICE = "spBv1.0/plant1/{}/GW1/PRESS-01"


@tagged("post_install", "-at_install")
class TestSparkplugSubscription(MachineCase):
    """Sparkplug B payloads, encoded by pysparkplug as an edge node sends
    them, through the subscriptions' processing into the equipment commands."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.broker = cls.env["mfg.integration.mqtt.broker"].create(
            {"name": "Plant 1", "client_identifier": "odoo-test-sparkplug"}
        )
        Subscription = cls.env["mfg.integration.mqtt.subscription"]
        common = {
            "broker_id": cls.broker.id,
            "client_id": cls.machines.id,
            "topic": "spBv1.0/plant1/#",
            "payload_format": "sparkplug_b",
            "metric_prefix": "Machine/",
        }
        cls.states = Subscription.create(
            {
                **common,
                "name": "Sparkplug states",
                "command_name": "equipment.state",
                "death_body": json.dumps({"state": "unknown"}),
            }
        )
        cls.counters = Subscription.create(
            {**common, "name": "Sparkplug counters", "command_name": "equipment.counters"}
        )

    def ms(self, minutes):
        """A Sparkplug timestamp, minutes after the test's start."""
        moment = datetime.fromisoformat(self.at(minutes).replace("Z", "+00:00"))
        return int(moment.astimezone(UTC).timestamp() * 1000)

    def now_ms(self, seconds):
        """A Sparkplug timestamp, seconds from now (after a death, which Odoo
        dates when it arrives)."""
        return int(time.time() * 1000) + seconds * 1000

    def receive(self, topic, *raws):
        """What the consumer does with a message both subscriptions match."""
        return [dict(sub._receive(topic, list(raws))) for sub in (self.states, self.counters)]

    def node_birth(self, stamp, bd_seq):
        metric = spb.Metric(timestamp=None, name="bdSeq", datatype=UINT64, value=bd_seq)
        return spb.NBirth(timestamp=stamp, seq=0, metrics=(metric,)).encode()

    def device_birth(self, stamp):
        declared = [
            ("Machine/state", STRING, "idle", 1),
            ("Machine/reason", STRING, None, 2),
            ("Machine/good", UINT64, 0, 3),
            ("Machine/rejected", UINT64, 0, 4),
            ("Machine/spindle_rpm", UINT64, 0, 5),
        ]
        metrics = tuple(
            spb.Metric(timestamp=None, name=name, datatype=kind, value=value, alias=alias)
            for name, kind, value, alias in declared
        )
        return spb.DBirth(timestamp=stamp, seq=1, metrics=metrics).encode()

    def data(self, stamp, seq=2, **by_alias):
        """A DDATA as edge nodes send it after their birth: metrics by alias,
        without names or data types."""
        aliases = {"state": (1, STRING), "reason": (2, STRING), "good": (3, UINT64)}
        aliases.update(rejected=(4, UINT64), spindle_rpm=(5, UINT64))
        metrics = tuple(
            spb.Metric(
                timestamp=None,
                name=None,
                alias=aliases[name][0],
                datatype=aliases[name][1],
                value=value,
            )
            for name, value in by_alias.items()
        )
        return spb.DData(timestamp=stamp, seq=seq, metrics=metrics).encode()

    def death(self, bd_seq):
        metric = spb.Metric(timestamp=None, name="bdSeq", datatype=UINT64, value=bd_seq)
        return spb.NDeath(timestamp=None, bd_seq_metric=metric).encode()

    def test_births_data_and_death(self):
        self.assertEqual(
            self.receive(NODE.format("NBIRTH"), self.node_birth(self.ms(0), bd_seq=3)),
            [{"birth": 1}, {"birth": 1}],
        )
        self.receive(DEVICE.format("DBIRTH"), self.device_birth(self.ms(0)))
        cursor = self.states.cursor_ids.filtered(lambda c: c.subject == "PRESS-01")
        self.assertEqual(cursor.sparkplug_node, "GW1")
        self.assertIn("Machine/good", cursor.birth_metrics)
        self.assertTrue(cursor.born_at)
        self.assertFalse(cursor.dead_at)

        # one DATA message: its state to the state command, its counts skipped there
        topic = DEVICE.format("DDATA")
        self.assertEqual(
            self.receive(topic, self.data(self.ms(1), state="running", spindle_rpm=1200)),
            [{"applied": 1}, {"skipped": 1}],
        )
        self.assertEqual(self.press.mfg_machine_state, "running")
        # a window of counts: summed once, a count left out (report by exception) adds 0
        self.assertEqual(
            self.receive(
                topic, self.data(self.ms(2), good=10, rejected=1), self.data(self.ms(3), good=5)
            ),
            [{"skipped": 2}, {"applied": 2}],
        )
        count = self.press.mfg_count_ids
        self.assertEqual((count.good_qty, count.rejected_qty), (15, 1))
        # two reports of one millisecond: told apart by their Sparkplug seq
        same = self.ms(3) + 500
        self.assertEqual(
            self.receive(topic, self.data(same, seq=7, good=1), self.data(same, seq=8, good=2)),
            [{"skipped": 2}, {"applied": 2}],
        )
        self.assertEqual(sum(self.press.mfg_count_ids.mapped("good_qty")), 18)
        stop = self.data(self.ms(4), state="down", reason="E-SPINDLE")
        self.receive(topic, stop)
        request = self.requests_of(self.press)
        self.assertEqual((request.mfg_alarm_code, request.mfg_occurrences), ("E-SPINDLE", 1))
        self.assertEqual(self.workcenter.working_state, "blocked")
        # delivered again after a consumer crash: recognised by its timestamp and seq
        self.assertEqual(self.receive(topic, stop), [{"duplicate": 1}, {"duplicate": 1}])
        self.assertEqual(request.mfg_occurrences, 1)
        self.receive(topic, self.data(self.ms(5), state="running"))
        self.assertEqual(self.workcenter.working_state, "done")  # Odoo: in progress
        running = self.rows_of(self.press)[-1]
        self.assertEqual(running.loss_type, "productive")
        self.assertFalse(running.date_end)

        # the will of an earlier session of the edge node: not this one's death
        self.assertEqual(
            self.receive(NODE.format("NDEATH"), self.death(bd_seq=2)),
            [{"duplicate": 1}, {"duplicate": 1}],
        )
        self.assertEqual(self.press.mfg_machine_state, "running")
        # the node's death: its machine is unknown, not running any more
        self.assertEqual(
            self.receive(NODE.format("NDEATH"), self.death(bd_seq=3)),
            [{"death": 1}, {"death": 1}],
        )
        self.assertEqual(self.press.mfg_machine_state, "unknown")
        self.assertTrue(running.date_end, "the running time ends at the death")
        self.assertEqual(self.rows_of(self.press)[-1], running, "no time counted while unheard")
        self.assertEqual(self.workcenter.working_state, "normal")
        self.assertTrue(cursor.dead_at)
        event = json.loads(self.events("mrp.workcenter.state_changed.v1")[-1].data)
        self.assertEqual((event["state"], event["previous_state"]), ("unknown", "running"))
        # the gateway declares no machine state: no command for it, nothing refused
        self.assertFalse(self.states.refused_message_ids)
        # the death delivered again finds the machine dead already
        self.assertEqual(
            self.receive(NODE.format("NDEATH"), self.death(bd_seq=3)),
            [{"duplicate": 1}, {"duplicate": 1}],
        )
        # born again, the machine reports again
        self.receive(NODE.format("NBIRTH"), self.node_birth(self.now_ms(1), bd_seq=4))
        self.receive(DEVICE.format("DBIRTH"), self.device_birth(self.now_ms(1)))
        self.assertFalse(cursor.dead_at)
        self.receive(topic, self.data(self.now_ms(2), state="running"))
        self.assertEqual(self.press.mfg_machine_state, "running")
        # a device's own death certificate
        self.assertEqual(
            self.receive(DEVICE.format("DDEATH"), spb.DDeath(self.now_ms(3), 3).encode()),
            [{"death": 1}, {"death": 1}],
        )
        self.assertEqual(self.press.mfg_machine_state, "unknown")

    def test_bad_sparkplug_messages_refused_with_reason(self):
        topic = DEVICE.format("DDATA")
        # not Sparkplug, and data by alias from a machine whose birth was never seen
        self.assertEqual(
            self.receive(topic, b"\xff\xff{not sparkplug", self.data(self.ms(1), state="running")),
            [{"refused": 2}, {"refused": 2}],
        )
        refused = self.states.refused_message_ids.sorted("id")
        self.assertEqual(refused.mapped("problem_type"), ["unsupported-media-type"] * 2)
        self.assertIn("not a Sparkplug B DDATA", refused[0].reason)
        self.assertIn("Rebirth", refused[1].reason)
        self.assertTrue(refused[0].payload.startswith("base64:"))
        self.assertEqual(self.press.mfg_machine_state, "unknown")
        # the birth arrives: later data is read; a state from an unknown code is refused
        self.receive(DEVICE.format("DBIRTH"), self.device_birth(self.ms(2)))
        self.receive(topic, self.data(self.ms(3), state="down", reason="E-NOPE"))
        refused = self.states.refused_message_ids.sorted("id")[-1]
        self.assertEqual(refused.problem_type, "unmapped-code")
        self.assertEqual(json.loads(refused.payload)["reason"], "E-NOPE")
        # host states and commands to machines are not reports: ignored
        self.assertEqual(
            self.receive("spBv1.0/plant1/DCMD/GW1/PRESS-01", b"x"),
            [{"ignored": 1}, {"ignored": 1}],
        )
        exceptions = self.env["mfg.integration.exception"].search(
            [("category", "=", "mqtt_refused")]
        )
        self.assertTrue(exceptions)

    def test_sparkplug_subscription_checks_its_topic_and_death_body(self):
        with self.assertRaises(ValidationError):
            self.states.copy({"topic": "plant1/#"})
        with self.assertRaises(ValidationError):
            self.states.copy({"death_body": "unknown"})
