import json
from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import MachineCase, stamp


@tagged("post_install", "-at_install")
class TestMachineStates(MachineCase):
    """States over REST with a real key: productivity time, blocked work
    orders, one maintenance request per equipment and stop reason."""

    def _work_order_in_progress(self):
        production = self.env["mrp.production"].create(
            {"product_id": self.finished.id, "bom_id": self.bom.id, "product_qty": 1}
        )
        production.action_confirm()
        workorder = production.workorder_ids
        workorder.button_start()
        self.assertEqual(workorder.state, "progress")
        self.assertTrue(workorder.time_ids.filtered(lambda t: not t.date_end))
        return workorder

    def test_stop_blocks_opens_one_request_and_running_unblocks(self):
        workorder = self._work_order_in_progress()
        status, body, _r = self.report("state", {"state": "running", "at": self.at(0)})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["state"], "running")
        self.assertEqual(body["work_center"], "Assembly")

        status, body, _r = self.report(
            "state", {"state": "down", "reason": "E-SPINDLE", "at": self.at(60)}
        )
        self.assertEqual(status, 200, body)
        request = self.requests_of(self.press)
        self.assertEqual(len(request), 1)
        self.assertEqual(body["maintenance_request"], request.id)
        self.assertEqual(
            (request.mfg_alarm_code, request.maintenance_team_id, request.priority),
            ("E-SPINDLE", self.team, "3"),
        )
        self.assertEqual(request.mfg_occurrences, 1)
        # the work center is blocked as Odoo's Block button does it
        self.assertEqual(self.workcenter.working_state, "blocked")
        self.assertEqual(workorder.working_state, "blocked")
        self.assertFalse(workorder.time_ids.filtered(lambda t: not t.date_end))

        # the same stop again counts on the open request
        self.report("state", {"state": "running", "at": self.at(70)})
        status, body, _r = self.report(
            "state", {"state": "down", "reason": "E-SPINDLE", "at": self.at(80)}
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(self.requests_of(self.press), request)
        self.assertEqual(request.mfg_occurrences, 2)
        self.assertIn("E-SPINDLE again", "".join(request.message_ids.mapped("body")))

        status, body, _r = self.report("state", {"state": "running", "at": self.at(100)})
        self.assertEqual(status, 200, body)
        self.assertNotEqual(self.workcenter.working_state, "blocked")
        workorder.button_start()  # Odoo refuses to start a blocked work order
        self.assertTrue(workorder.time_ids.filtered(lambda t: not t.date_end))

        rows = self.rows_of(self.press)
        self.assertEqual(
            [(r.loss_id, r.date_start, r.date_end) for r in rows],
            [
                (self.env.ref("mrp.block_reason7"), self.start, self.start + timedelta(minutes=60)),
                (
                    self.spindle_failure,
                    self.start + timedelta(minutes=60),
                    self.start + timedelta(minutes=70),
                ),
                (
                    self.env.ref("mrp.block_reason7"),
                    self.start + timedelta(minutes=70),
                    self.start + timedelta(minutes=80),
                ),
                (
                    self.spindle_failure,
                    self.start + timedelta(minutes=80),
                    self.start + timedelta(minutes=100),
                ),
                (self.env.ref("mrp.block_reason7"), self.start + timedelta(minutes=100), False),
            ],
        )
        # Odoo's own OEE reads them: 70 productive minutes, 30 lost to the spindle
        self.workcenter.invalidate_recordset()
        machine_rows = rows.filtered("date_end")
        self.assertEqual(
            sum(machine_rows.filtered(lambda r: r.loss_type == "productive").mapped("duration")), 70
        )
        self.assertEqual(
            sum(machine_rows.filtered(lambda r: r.loss_type == "availability").mapped("duration")),
            30,
        )
        self.assertGreaterEqual(self.workcenter.blocked_time, 0.5)
        self.assertGreater(self.workcenter.productive_time, 0)
        self.assertGreater(self.workcenter.oee, 0)
        self.assertLess(self.workcenter.oee, 100)

        changes = self.events("mrp.workcenter.state_changed.v1").filtered(
            lambda e: e.res_id == self.press.id
        )
        self.assertEqual(
            [json.loads(e.data)["state"] for e in changes],
            ["running", "down", "running", "down", "running"],
        )
        self.assertEqual(json.loads(changes[1].data)["loss"], "Spindle failure")
        created = self.events("maintenance.request.created.v1").filtered(
            lambda e: e.res_id == request.id
        )
        self.assertEqual(len(created), 1)
        self.assertEqual(json.loads(created.data)["alarm_code"], "E-SPINDLE")

        done_stage = self.env["maintenance.stage"].search([("done", "=", True)], limit=1)
        request.stage_id = done_stage
        done = self.events("maintenance.request.done.v1").filtered(lambda e: e.res_id == request.id)
        self.assertEqual(len(done), 1)
        # a stop after the request is done opens a new one
        self.report("state", {"state": "down", "reason": "E-SPINDLE", "at": self.at(120)})
        self.assertEqual(len(self.requests_of(self.press)), 2)

    def test_setup_blocks_idle_frees_without_loss(self):
        self.report("state", {"state": "setup", "at": self.at(0)})
        self.assertEqual(self.workcenter.working_state, "blocked")
        self.assertEqual(self.rows_of(self.press).loss_id, self.env.ref("mrp.block_reason2"))
        status, body, _r = self.report("state", {"state": "idle", "at": self.at(5)})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.workcenter.working_state, "normal")
        self.assertEqual(self.rows_of(self.press).date_end, self.start + timedelta(minutes=5))
        # a stop without a reason: a loss, but no maintenance request
        self.report("state", {"state": "down", "at": self.at(6)})
        self.assertEqual(self.rows_of(self.press)[-1].loss_id, self.env.ref("mrp.block_reason1"))
        self.assertFalse(self.requests_of(self.press))

    def test_refused_reports_change_nothing(self):
        self.report("state", {"state": "running", "at": self.at(30)})
        before = (len(self.rows_of(self.press)), self.press.mfg_machine_state)
        future = stamp(datetime.utcnow() + timedelta(hours=1))
        body = self.assertProblem(
            self.report("state", {"state": "down", "at": future}), 422, "validation-error"
        )
        self.assertEqual(body["errors"][0]["pointer"], "/at")
        self.assertIn("future", body["detail"])
        body = self.assertProblem(
            self.report("state", {"state": "down", "at": self.at(10)}), 409, "conflict"
        )
        self.assertEqual(body["errors"][0]["pointer"], "/at")
        body = self.assertProblem(
            self.report("state", {"state": "down", "reason": "E-NOPE", "at": self.at(40)}),
            422,
            "unmapped-code",
        )
        self.assertEqual(body["errors"][0]["pointer"], "/reason")
        self.assertProblem(
            self.report("state", {"state": "running", "at": self.at(40)}, equipment="NOPE"),
            404,
            "not-found",
        )
        body = self.assertProblem(
            self.report("state", {"state": "melting", "at": self.at(40)}), 422, "validation-error"
        )
        self.assertEqual(body["errors"][0]["pointer"], "/state")
        self.assertEqual((len(self.rows_of(self.press)), self.press.mfg_machine_state), before)
        self.assertFalse(self.requests_of(self.press))
        # without the scope, the key is refused
        self.assertProblem(
            self.report("state", {"state": "down", "at": self.at(50)}, key=self.key),
            403,
            "forbidden",
        )


@tagged("post_install", "-at_install")
class TestMachineAlarmsAndCounters(MachineCase):
    def test_alarm_severity_repeat_and_clear(self):
        status, body, _r = self.report(
            "alarms",
            {
                "event": "raised",
                "code": "A-OIL",
                "severity": 200,
                "text": "Oil low",
                "at": self.at(1),
            },
        )
        self.assertEqual(status, 200, body)
        self.assertIsNone(body["maintenance_request"])
        self.assertFalse(self.requests_of(self.press))

        raised = {"event": "raised", "code": "A-TEMP", "severity": 500, "text": "Hot spindle"}
        status, body, _r = self.report("alarms", {**raised, "at": self.at(2)})
        request = self.requests_of(self.press)
        self.assertEqual(len(request), 1)
        self.assertEqual(body["maintenance_request"], request.id)
        self.assertEqual(request.name, "Press 1: Hot spindle")
        self.assertEqual((request.maintenance_team_id, request.priority), (self.team, "3"))
        self.report("alarms", {**raised, "at": self.at(3)})
        self.assertEqual(self.requests_of(self.press), request)
        self.assertEqual(request.mfg_occurrences, 2)
        status, body, _r = self.report(
            "alarms", {"event": "cleared", "code": "A-TEMP", "at": self.at(4)}
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(request.mfg_alarm_cleared_at, self.start + timedelta(minutes=4))
        self.assertIn("A-TEMP cleared", "".join(request.message_ids.mapped("body")))
        # a clear before its raise, replayed late, is refused
        self.assertProblem(self.report("alarms", {**raised, "at": self.at(3)}), 409, "conflict")

    def test_equipment_without_rule_opens_no_request_for_alarms(self):
        status, body, _r = self.report(
            "alarms",
            {"event": "raised", "code": "A-TEMP", "severity": 1000, "at": self.at(1)},
            equipment="PRESS-99",
        )
        self.assertEqual(status, 200, body)
        self.assertFalse(self.requests_of(self.spare))

    def test_counters_exact_and_never_backwards(self):
        for minute, good, rejected in ((1, 10, 1), (2, 7, 0), (3, 0, 2)):
            status, body, _r = self.report(
                "counters", {"good": good, "rejected": rejected, "at": self.at(minute)}
            )
            self.assertEqual(status, 200, body)
            self.assertEqual((body["good"], body["rejected"]), (good, rejected))
        counts = self.press.mfg_count_ids
        self.assertEqual(sum(counts.mapped("good_qty")), 17)
        self.assertEqual(sum(counts.mapped("rejected_qty")), 3)
        self.assertEqual(counts.workcenter_id, self.workcenter)
        first = counts.sorted("date_end")[1]
        self.assertEqual(
            (first.date_start, first.date_end),
            (self.start + timedelta(minutes=1), self.start + timedelta(minutes=2)),
        )
        body = self.assertProblem(
            self.report("counters", {"good": -4, "rejected": 0, "at": self.at(4)}),
            422,
            "validation-error",
        )
        self.assertEqual(body["errors"][0]["pointer"], "/good")
        self.assertProblem(
            self.report("counters", {"good": 4, "rejected": 0, "at": self.at(3)}),
            409,
            "conflict",
        )
        self.assertEqual(len(self.press.mfg_count_ids), 3)
