import uuid
from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase
from odoo.tools import SQL


class RetentionCase(TransactionCase):
    """Rows are aged by SQL: create_date is what the rules read."""

    def age(self, records, days, column="create_date"):
        records.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET %s = %s WHERE id = ANY(%s)",
                SQL.identifier(records._table),
                SQL.identifier(column),
                fields.Datetime.now() - timedelta(days=days),
                records.ids,
            )
        )
        records.invalidate_recordset()

    def purge(self):
        return self.env["mfg.integration.retention"]._purge_all()

    def event(self, days=0, type_name="test.retention.done.v1"):
        event_type = self.env["mfg.integration.event.type"].search([("name", "=", type_name)])
        event_type = event_type or self.env["mfg.integration.event.type"].create(
            {"name": type_name}
        )
        event = self.env["mfg.integration.event"].create(
            {
                "event_uid": str(uuid.uuid4()),
                "type_id": event_type.id,
                "time": fields.Datetime.now(),
            }
        )
        self.age(event, days)
        return event


class TestRetention(RetentionCase):
    def test_purge_deletes_in_chunks(self):
        Log = self.env["mfg.integration.message.log"]
        logs = Log.create([{"direction": "inbound", "status": "success"}] * 5)
        self.age(logs, 40)
        Retention = self.env["mfg.integration.retention"]
        statements = []
        original = type(self.env.cr).execute

        def count_deletes(cr, query, *args, **kwargs):
            if "DELETE FROM" in str(query):
                statements.append(query)
            return original(cr, query, *args, **kwargs)

        self.patch(type(self.env.cr), "execute", count_deletes)
        condition = SQL("id = ANY(%s)", logs.ids)
        self.assertEqual(Retention._purge(Log._name, condition, chunk_size=2), 5)
        self.assertEqual(len(statements), 3)  # 2 + 2 + 1
        self.assertFalse(logs.exists())

    def test_old_rows_go_and_recent_ones_stay(self):
        Log = self.env["mfg.integration.message.log"]
        old_log, new_log = Log.create([{"direction": "inbound", "status": "success"}] * 2)
        self.age(old_log, 31)
        self.age(new_log, 29)
        old_event, new_event = self.event(31), self.event(29)
        purged = self.purge()
        self.assertGreaterEqual(purged["message_log"], 1)
        self.assertGreaterEqual(purged["event"], 1)
        self.assertFalse(old_log.exists())
        self.assertFalse(old_event.exists())
        self.assertTrue(new_log.exists())
        self.assertTrue(new_event.exists())

    def test_zero_days_keeps_everything(self):
        self.env["ir.config_parameter"].set_param("mfg_integration.event_retention_days", 0)
        event = self.event(4000)
        self.purge()
        self.assertTrue(event.exists())

    def test_the_cron_runs_every_rule(self):
        event = self.event(31)
        self.env.ref("mfg_integration_core.ir_cron_retention_purge").method_direct_trigger()
        self.assertFalse(event.exists())


class TestLinkRetention(RetentionCase):
    def test_links_go_once_their_sender_stopped_reporting(self):
        system = self.env["mfg.integration.system"].create({"code": "MES-R", "name": "MES R"})
        partners = self.env["res.partner"].create([{"name": f"Order {n}"} for n in range(3)])
        Link = self.env["mfg.integration.link"]
        idle, active, recent = (
            Link._link(system, "partner", f"ORD-{n}", partner) for n, partner in enumerate(partners)
        )
        self.age(idle | active, 400, "write_date")
        self.age(idle | active, 400)
        # the sender still reports changes of this one: its link stays
        Link._advance_source_time(system, "partner", partners[1], fields.Datetime.now())
        self.purge()
        self.assertFalse(idle.exists())
        self.assertTrue(active.exists())
        self.assertTrue(recent.exists())
