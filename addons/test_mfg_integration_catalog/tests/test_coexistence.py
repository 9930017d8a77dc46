import json
import uuid

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.mfg_integration_broker.amqp import ReceivedMessage

from .common import CatalogCase

# the tables a production order's commands write to, and the suite's own
# rows that a command leaves behind (events, idempotency keys, identifiers)
BUSINESS_TABLES = (
    "mrp_production",
    "mrp_workorder",
    "stock_move",
    "stock_move_line",
    "stock_quant",
    "stock_lot",
    "mfg_integration_event",
    "mfg_integration_idempotency",
    "mfg_integration_xref",
    "mfg_integration_link",
)


@tagged("post_install", "-at_install")
class TestRetired(CatalogCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.successor = cls.Interface.create(
            {
                "code": "MES-ORDERS-V2",
                "name": "Production orders from the new MES",
                "business_process": "demand_to_production",
            }
        )
        cls.production_interface.write({"mode": "retired", "successor_id": cls.successor.id})

    def test_a_retired_interface_answers_410_naming_its_successor(self):
        before = self.counts()
        body = self.assertProblem(self.create_order("PLN-G1", 5), 410, "gone")
        self.assertEqual(body["successor"], "MES-ORDERS-V2")
        self.assertEqual(body["interface"], "MRP-PRODUCTION")
        self.assertIn("Production orders from the new MES", body["detail"])
        self.assertEqual(self.counts(), before)
        log = self.last_log()
        self.assertEqual((log.status, log.http_status, log.system_id), ("rejected", 410, self.mes))
        # a caller without a key learns nothing of the catalog
        self.assertProblem(
            self.api("POST", "/production-orders", {}, key=False), 401, "unauthenticated"
        )
        # back in service: the same command is applied
        self.production_interface.mode = "cut_over"
        status, body, _response = self.create_order("PLN-G1", 5)
        self.assertEqual(status, 201, body)

    def test_a_retired_command_is_dead_lettered_at_once_by_a_broker_queue(self):
        connection = self.env["mfg.integration.broker.connection"].create(
            {"name": "Catalog test broker", "url": "amqp://127.0.0.1:5672/%2F"}
        )
        queue = self.env["mfg.integration.broker.queue"].create(
            {
                "name": f"mfg_integration_catalog.test.{uuid.uuid4().hex[:8]}",
                "connection_id": connection.id,
                "client_id": self.client.id,
                "max_attempts": 3,
            }
        )
        message = ReceivedMessage(
            body=json.dumps(
                {"id": "PLN-G2", "product": "FG-100", "quantity": 2, "unit": "EA"}
            ).encode(),
            headers={"ce-type": "production_order.create", "ce-specversion": "1.0"},
            content_type="application/json",
            message_id=str(uuid.uuid4()),
            correlation_id="catalog-retired-1",
        )
        before = self.counts()
        outcome = queue._consume(message)
        self.assertEqual(outcome.action, "dead")  # on its first attempt of three
        self.assertEqual(outcome.response.status, 410)
        self.assertEqual(outcome.response.body["successor"], "MES-ORDERS-V2")
        dead = self.env["mfg.integration.broker.dead.message"].search(
            [("message_id", "=", message.message_id)]
        )
        self.assertEqual(json.loads(dead.problem)["type"], "/api/mfg/v1/problems/gone")
        self.assertEqual(self.counts(), before)


@tagged("post_install", "-at_install")
class TestShadow(CatalogCase):
    def table_contents(self):
        """A digest of every row of the business tables, as the database has them."""
        self.env.flush_all()
        digests = {}
        for table in BUSINESS_TABLES:
            self.env.cr.execute(
                SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), ''))"
                    " FROM %s t",
                    SQL.identifier(table),
                )
            )
            digests[table] = self.env.cr.fetchone()
        return digests

    def writes(self, table):
        """Rows this transaction inserted and updated in table so far (aborted
        subtransactions included: PostgreSQL counts what was written)."""
        self.env.cr.execute(
            "SELECT n_tup_ins + n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [table],
        )
        return self.env.cr.fetchone()[0]

    def test_shadow_applies_then_rolls_back_and_records_what_it_would_have_done(self):
        self.production_interface.mode = "shadow"
        before = self.table_contents()
        written_before = self.writes("mrp_production")
        key = str(uuid.uuid4())
        status, body, response = self.api(
            "POST",
            "/production-orders",
            {"id": "PLN-S1", "product": "FG-100", "quantity": 12, "unit": "EA"},
            headers={"Idempotency-Key": key},
        )
        # the answer the command would give, marked as a shadow's
        self.assertEqual(status, 201, body)
        self.assertEqual((body["id"], body["status"]), ("PLN-S1", "REL"))
        self.assertEqual(response.headers["Mfg-Coexistence"], "shadow")
        # it ran: PostgreSQL counted the production order written, then rolled back
        self.assertGreater(self.writes("mrp_production"), written_before)
        # and left nothing: no business row, no event, no idempotency key, no identifier
        self.assertEqual(self.table_contents(), before)
        self.assertFalse(self._production("PLN-S1"))
        run = self.env["mfg.integration.shadow.run"].search(
            [("correlation_id", "=", response.headers["X-Correlation-ID"])]
        )
        self.assertEqual(
            (run.interface_id, run.command, run.outcome),
            (self.production_interface, "production_order.create.v1", "applied"),
        )
        created = {row["model"]: row for row in run.effects["created"]}
        self.assertEqual(created["mrp.production"]["product_qty"], 12)
        self.assertEqual(created["mrp.production"]["state"], "confirmed")
        self.assertEqual(created["mrp.production"]["product_id"], self.finished.display_name)
        self.assertIn("stock.move", created)
        self.assertIn("mrp.production.confirmed.v1", run.effects["events"])
        self.assertEqual(run.event_count, len(run.effects["events"]))
        log = self.last_log()
        self.assertEqual((log.status, log.http_status), ("success", 201))
        self.assertFalse(log.res_id)  # no record was kept to link
        # the key was not consumed: cut over, the same request is applied for real
        self.production_interface.mode = "cut_over"
        status, body, response = self.api(
            "POST",
            "/production-orders",
            {"id": "PLN-S1", "product": "FG-100", "quantity": 12, "unit": "EA"},
            headers={"Idempotency-Key": key},
        )
        self.assertEqual(status, 201, body)
        self.assertNotIn("Idempotent-Replayed", response.headers)
        self.assertEqual(self._production("PLN-S1").product_qty, 12)

    def test_shadow_lists_the_changes_of_a_record_before_and_after(self):
        self.assertEqual(self.create_order("PLN-S2", 10)[0], 201)
        production = self._production("PLN-S2")
        self.production_interface.mode = "shadow"
        before = self.table_contents()
        status, body, response = self.api(
            "POST",
            "/production-orders/PLN-S2/confirmations",
            {"produced_quantity": 4, "lot": "LOT-S2"},
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(self.table_contents(), before)
        production.invalidate_recordset()
        self.assertEqual(production.qty_producing, 0)
        run = self.env["mfg.integration.shadow.run"].search(
            [("correlation_id", "=", response.headers["X-Correlation-ID"])]
        )
        changed = {row["model"]: row for row in run.effects["changed"]}
        self.assertEqual(
            changed["mrp.production"]["changes"]["qty_producing"], {"before": 0.0, "after": 4.0}
        )
        self.assertIn(
            "LOT-S2", [row["name"] for row in run.effects["created"] if row["model"] == "stock.lot"]
        )

    def test_a_refusal_in_shadow_is_recorded_and_answered(self):
        self.production_interface.mode = "shadow"
        before = self.table_contents()
        body = self.assertProblem(
            self.api(
                "POST",
                "/production-orders",
                {"id": "PLN-S3", "product": "FG-100", "quantity": 1, "unit": "LBR"},
            ),
            422,
            "unmapped-code",
        )
        self.assertEqual(self.table_contents(), before)
        run = self.env["mfg.integration.shadow.run"].search(
            [("correlation_id", "=", body["correlation_id"])]
        )
        self.assertEqual(run.outcome, "refused")
        self.assertIn("LBR", run.problem)


@tagged("post_install", "-at_install")
class TestRollback(CatalogCase):
    def test_a_rollback_returns_to_the_previous_mode_with_its_reason_audit_and_activities(self):
        consultant = new_test_user(
            self.env,
            login="rollback_consultant",
            groups="mfg_integration_catalog.group_integration_consultant",
        )
        owner = new_test_user(self.env, login="interface_owner", groups="base.group_user")
        mes_owner = new_test_user(self.env, login="mes_owner", groups="base.group_user")
        self.mes.owner_id = mes_owner
        interface = self.production_interface.with_user(consultant)
        interface.write({"owner_id": owner.id, "source_system_id": self.mes.id})
        # out of production by an approved change (test_changes), then live again
        self.production_interface.mode = "shadow"
        interface.mode = "dual_run"
        self.assertEqual(interface.previous_mode, "shadow")
        action = interface.action_rollback()
        wizard = (
            self.env[action["res_model"]]
            .with_user(consultant)
            .with_context(action["context"])
            .create({"reason": "Lot numbers differ on partial confirmations"})
        )
        wizard.action_confirm()
        self.assertEqual((interface.mode, interface.previous_mode), ("shadow", "dual_run"))
        audit = self.env["mfg.integration.audit.log"].search(
            [
                ("model", "=", interface._name),
                ("res_id", "=", interface.id),
                ("action", "=", "rollback"),
            ]
        )
        self.assertEqual(audit.user_id, consultant)
        self.assertEqual(json.loads(audit.changes), {"mode": ["dual_run", "shadow"]})
        self.assertIn("Lot numbers differ on partial confirmations", audit.summary)
        activities = interface.activity_ids
        self.assertEqual(activities.user_id, owner | mes_owner)
        self.assertIn("Lot numbers differ", activities[0].note)
        self.assertIn("Lot numbers differ", interface.message_ids[0].body)
        # the request path follows at once: shadow again
        status, _body, response = self.create_order("PLN-RB1", 1)
        self.assertEqual((status, response.headers.get("Mfg-Coexistence")), (201, "shadow"))

    def test_an_interface_that_never_changed_mode_cannot_be_rolled_back(self):
        with self.assertRaisesRegex(UserError, "no previous mode"):
            self.production_interface.action_rollback()
