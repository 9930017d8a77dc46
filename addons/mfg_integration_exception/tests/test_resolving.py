import json
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.queue_job.job import Job

from .common import PLANNER, CommandSourceCase


class TestCreateMapping(CommandSourceCase, TransactionCase):
    """Create Mapping, then Retry, on what the command layer reports: the failed
    items of a batch, and commands refused for a code or an id nobody mapped."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.planner = new_test_user(cls.env, login="planner_map", groups=PLANNER)
        cls.Exception = cls.env["mfg.integration.exception"]
        cls.supplier = cls.env["res.partner"].create({"name": "Gearbox Supplier"})
        cls.type_partner = cls.env.ref("mfg_integration_core.object_type_partner")
        cls.env["mfg.integration.xref"].create(
            {
                "system_id": cls.mes.id,
                "object_type_id": cls.type_partner.id,
                "external_id": "SUP-100",
                "res_id": cls.supplier.id,
            }
        )

    def test_grouped_exception_retries_every_failed_item(self):
        count = {"currency": "DOL", "amount": 10}
        request = self.run_batch([count, {**count, "amount": 11}, {**count, "currency": "EUR"}])
        self.assertEqual(request.state, "partial")
        exception = self.Exception.search([("category", "=", "unmapped_code")])
        self.assertEqual(len(exception.occurrence_ids), 2)
        self.assertEqual(
            (exception.mapping_type, exception.mapping_kind, exception.mapping_value),
            ("code", "currency", "DOL"),
        )
        self.assertEqual(exception.job_uuid, request.job_uuid)
        wizard = (
            self.env["mfg.integration.exception.mapping"]
            .with_user(self.planner)
            .create({"exception_id": exception.id})
        )
        self.assertEqual(wizard.value_map_id, self.currency_map)
        self.assertEqual(wizard.target_model, "res.currency")
        wizard.res_id = self.usd.id
        wizard.action_create_and_retry()
        self.assertEqual(exception.state, "resolved")
        self.assertTrue(all(exception.occurrence_ids.mapped("settled")))
        self.assertEqual(request.state, "done", "both failed items were applied again")
        self.assertEqual(request.done_count, 3)
        self.assertEqual(
            [json.loads(item.result)["currency"] for item in request.item_ids],
            ["USD", "USD", "EUR"],
        )
        # a retry never applies an item twice
        self.assertTrue(exception.occurrence_ids[0].source_ref.sudo()._integration_retry())
        self.assertEqual(request.done_count, 3)

    def test_planner_adds_only_the_mapping_the_exception_asks_for(self):
        release = "test.exception.release"
        status, body = self.run_command(release, {"partner": "SUP-999", "amount": 2})
        self.assertEqual((status, body["type"].rsplit("/", 1)[1]), (422, "unknown-reference"))
        exception = self.Exception.search([("category", "=", "unknown_reference")])
        self.assertEqual(exception.system_id, self.mes)
        self.assertEqual(
            (exception.mapping_type, exception.mapping_kind, exception.mapping_value),
            ("reference", "partner", "SUP-999"),
        )
        self.assertEqual(exception.log_count, 1, "the refused command is linked")
        self.assertFalse(exception._retryable_occurrences(), "nothing was stored to retry")
        # the same unknown id again counts, it does not open another exception
        self.run_command(release, {"partner": "SUP-999", "amount": 1})
        self.assertEqual(exception.occurrence_count, 2)
        Xref = self.env["mfg.integration.xref"].with_user(self.planner)
        with self.assertRaises(AccessError):
            Xref.create(
                {
                    "system_id": self.mes.id,
                    "object_type_id": self.type_partner.id,
                    "external_id": "SUP-999",
                    "res_id": self.supplier.id,
                }
            )
        wizard = (
            self.env["mfg.integration.exception.mapping"]
            .with_user(self.planner)
            .create({"exception_id": exception.id})
        )
        self.assertEqual(
            (wizard.object_type_id, wizard.target_model), (self.type_partner, "res.partner")
        )
        with self.assertRaisesRegex(UserError, "Choose the Contact"):
            wizard.action_create_and_retry()
        wizard.res_id = self.supplier.id
        with self.assertRaisesRegex(UserError, "already has the external id 'SUP-100'"):
            wizard.action_create_and_retry()
        elsewhere = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        hidden = self.env["res.partner"].create({"name": "Hidden", "company_id": elsewhere.id})
        wizard.res_id = hidden.id
        with self.assertRaises(AccessError):
            wizard.action_create_and_retry()
        pump = self.env["res.partner"].create({"name": "Pump Works"})
        wizard.res_id = pump.id
        wizard.action_create_and_retry()
        self.assertEqual(exception.state, "resolved")
        self.assertIn("next request passes", exception.message_ids[0].body)
        xref = self.env["mfg.integration.xref"].search([("external_id", "=", "SUP-999")])
        self.assertEqual(xref.record_ref, pump)
        self.assertEqual(xref.create_uid, self.planner)
        status, body = self.run_command(release, {"partner": "SUP-999", "amount": 2})
        self.assertEqual((status, body["partner"]), (200, "Pump Works"))

    def test_refused_for_an_unmapped_code_resolves_once_mapped(self):
        release = {"partner": "SUP-100", "amount": 2, "currency": "DOL"}
        status, body = self.run_command("test.exception.release", release)
        self.assertEqual((status, body["type"].rsplit("/", 1)[1]), (422, "unmapped-code"))
        exception = self.Exception.search([("category", "=", "unmapped_code")])
        self.assertEqual(
            exception.name,
            "MES-01 sent currency code 'DOL', which has no mapping in value map 'currency'.",
        )
        self.assertEqual(
            (exception.mapping_type, exception.mapping_kind, exception.mapping_value),
            ("code", "currency", "DOL"),
        )
        wizard = (
            self.env["mfg.integration.exception.mapping"]
            .with_user(self.planner)
            .create({"exception_id": exception.id})
        )
        with self.assertRaisesRegex(UserError, "Choose the .* record the code stands for"):
            wizard.action_create()
        wizard.res_id = self.usd.id
        wizard.action_create()
        self.assertEqual(exception.state, "in_progress", "taken by the planner, not resolved")
        self.assertEqual(exception.user_id, self.planner)
        self.assertEqual(exception.root_cause, "mapping")
        line = self.currency_map.line_ids.filtered(lambda line: line.external_code == "DOL")
        self.assertEqual((line.record_ref.name, line.create_uid), ("USD", self.planner))
        status, body = self.run_command("test.exception.release", release)
        self.assertEqual(status, 200, body)

    def test_validation_errors_of_synchronous_requests_are_the_senders(self):
        status, body = self.run_command("test.exception.release", {"partner": "SUP-999"})
        self.assertEqual((status, body["type"].rsplit("/", 1)[1]), (422, "validation-error"))
        self.assertFalse(self.Exception.search([]))


class TestResolving(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["mfg.integration.exception"]
        cls.Incident = cls.env["mfg.integration.incident"]
        cls.planner = new_test_user(cls.env, login="planner_r", groups=PLANNER)
        cls.mes = cls.env["mfg.integration.system"].create({"code": "MES-01", "name": "MES"})

    def test_bulk_resolve_and_ignore_with_a_note(self):
        first = self.Incident._report("other", "A", key="a")
        second = self.Incident._report("other", "B", key="b")
        both = (first | second).with_user(self.planner)
        action = both.with_context(close_mode="resolve").action_open_close_wizard()
        Close = self.env["mfg.integration.exception.close"].with_user(self.planner)
        wizard = Close.with_context(**action["context"]).create({"note": "   "})
        with self.assertRaisesRegex(UserError, "resolution note"):
            wizard.action_confirm()
        wizard.write({"note": "Line restarted", "root_cause": "process"})
        wizard.action_confirm()
        self.assertEqual(both.mapped("state"), ["resolved", "resolved"])
        self.assertEqual(both.mapped("root_cause"), ["process", "process"])
        with self.assertRaisesRegex(UserError, "already closed"):
            both.action_take()
        third = self.Incident._report("other", "C", key="c").with_user(self.planner)
        wizard = Close.create({"exception_ids": third.ids, "mode": "ignore", "note": "Test data"})
        wizard.action_confirm()
        self.assertEqual((third.state, third.ignore_reason), ("ignored", "Test data"))

    def test_suggestion_from_earlier_resolutions(self):
        def occur_and_resolve(note):
            exception = self.Incident._report(
                "unmapped_code", "KGM?", key="uom|KGM", system=self.mes
            )
            exception.write({"resolution_note": note, "root_cause": "mapping"})
            exception.action_resolve()
            return exception

        earlier = [occur_and_resolve(n) for n in ("Mapped KGM to kg", "Mapped KGM to kg", "Other")]
        fresh = self.Incident._report("unmapped_code", "KGM?", key="uom|KGM", system=self.mes)
        self.assertNotIn(fresh, earlier)
        self.assertIn("3 time(s) before", fresh.suggestion)
        self.assertIn("(2 of 3)", fresh.suggestion)
        self.assertIn("<b>Mapped KGM to kg</b> (Missing mapping)", fresh.suggestion)
        self.assertIn(f"/odoo/mfg.integration.exception/{earlier[0].id}", fresh.suggestion)
        unrelated = self.Incident._report("unmapped_code", "EA?", key="uom|EA", system=self.mes)
        self.assertFalse(unrelated.suggestion)

    def test_sla_breach_is_marked_once_and_counted(self):
        exception = self.Incident._report("other", "Late", key="late", system=self.mes)
        self.assertEqual(exception.sla_deadline, exception.first_seen + timedelta(hours=24))
        data = self.Exception.get_dashboard_data()
        kpis = {kpi["key"]: kpi for kpi in data["kpis"]}
        self.assertEqual(kpis["overdue"]["count"], 0)
        with freeze_time(fields.Datetime.now() + timedelta(hours=25)):
            self.assertEqual(self.Exception._cron_check_sla(), exception)
            self.assertFalse(self.Exception._cron_check_sla(), "told once")
            self.assertTrue(exception.sla_breached)
            self.assertIn("has passed", exception.message_ids[0].body)
            data = self.Exception.get_dashboard_data()
        kpis = {kpi["key"]: kpi for kpi in data["kpis"]}
        self.assertEqual(kpis["overdue"]["count"], 1)
        # every tile's domain finds what the tile counts
        for kpi in data["kpis"]:
            self.assertEqual(self.Exception.search_count(kpi["domain"]), kpi["count"], kpi)
        for row in data["by_category"] + data["by_system"]:
            self.assertEqual(self.Exception.search_count(row["domain"]), row["count"], row)
        self.assertEqual(data["by_system"][0]["label"], self.mes.display_name)

    def test_only_managers_configure_teams(self):
        team = self.env["mfg.integration.exception.team"].create({"name": "Shift A"})
        with self.assertRaises(AccessError):
            team.with_user(self.planner).write({"name": "Mine"})
        rule = self.env["mfg.integration.exception.rule"].create(
            {"sequence": 0, "category": "other", "team_id": team.id, "resolve_within_hours": 8}
        )
        leader = new_test_user(self.env, login="leader_r", groups=PLANNER)
        team.leader_id = leader
        exception = self.Incident._report("other", "Routed", key="routed")
        self.assertEqual(exception.team_id, team)
        self.assertEqual(exception.sla_deadline, exception.first_seen + timedelta(hours=8))
        exception.with_user(self.planner).action_escalate()
        self.assertEqual(exception.activity_ids.user_id, leader)
        with self.assertRaises(AccessError):
            rule.with_user(self.planner).write({"resolve_within_hours": 1})


class TestJobFailures(TransactionCase):
    """Core's source: failed jobs of the suite, retried from their exception."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["mfg.integration.exception"]

    def _job(self):
        """A job of the suite (core's message-log purge), as the runner finds it."""
        delayed = self.env["mfg.integration.message.log"].with_delay()._purge_expired()
        return Job.load(self.env, delayed.uuid)

    def _fail(self, job):
        """What queue_job's runner does when a job raises an unexpected error."""
        job.set_started()
        job.set_failed(exc_name="OperationalError", exc_message="server closed the connection")
        job.store()

    def _run(self, job):
        """The runner runs a requeued job again, and it succeeds."""
        job = Job.load(self.env, job.uuid)
        job.set_started()
        job.perform()
        job.set_done()
        job.store()

    def test_failed_suite_job_opens_exception_and_settles_on_success(self):
        job = self._job()
        self._fail(job)
        exception = self.Exception.search([("category", "=", "job_failed")])
        self.assertEqual(len(exception), 1)
        self.assertIn("server closed the connection", exception.name)
        self.assertEqual(exception.job_uuid, job.uuid)
        exception.action_retry()
        self.assertEqual(exception.state, "waiting")
        record = job.db_record()
        self.assertEqual(record.state, "pending", "requeued")
        self._run(job)
        self.assertEqual(exception.state, "resolved")
        self.assertIn("The retry succeeded", exception.message_ids[0].body)

    def test_failures_of_one_cause_share_an_exception_that_a_retry_settles(self):
        jobs = [self._job(), self._job()]
        for job in jobs:
            self._fail(job)
        exception = self.Exception.search([("category", "=", "job_failed")])
        self.assertEqual(len(exception), 1, "one exception per fingerprint, not per job")
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(
            sorted(exception.occurrence_ids.mapped("job_uuid")), sorted(j.uuid for j in jobs)
        )
        exception.action_retry()
        self.assertEqual(exception.state, "waiting")
        self.assertEqual([job.db_record().state for job in jobs], ["pending", "pending"])
        self._run(jobs[0])
        self.assertEqual(exception.state, "waiting", "the other job has not run yet")
        self._run(jobs[1])
        self.assertEqual(exception.state, "resolved")
        self.assertTrue(all(exception.occurrence_ids.mapped("settled")))
        self.assertIn("The retry succeeded", exception.message_ids[0].body)
        # a new failure after the resolution opens a new exception
        self._fail(self._job())
        self.assertEqual(self.Exception.search_count([("category", "=", "job_failed")]), 2)

    def test_retry_that_fails_again_keeps_it_open(self):
        job = self._job()
        self._fail(job)
        exception = self.Exception.search([("category", "=", "job_failed")])
        exception.action_retry()
        self.assertEqual(exception.state, "waiting")
        # the runner runs the requeued job again, and it fails again
        self._fail(Job.load(self.env, job.uuid))
        self.assertEqual(exception.state, "in_progress")
        self.assertEqual(exception.occurrence_count, 2)
        self.assertIn("The retry failed again", exception.message_ids[0].body)
