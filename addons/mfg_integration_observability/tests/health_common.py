"""Shared set-up of the Integration Health tests: a connected system, a
subscriber of the outbox's test sink kind, and rows written where they would be."""

from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase

from odoo.addons.queue_job.tests.common import trap_jobs

TEST_SINK = "test.mfg.outbox.sink"
TEST_EVENT_TYPE = "test.outbox.thing.happened.v1"


class HealthCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Log = cls.env["mfg.integration.message.log"]
        cls.Stat = cls.env["mfg.integration.hourly.stat"]
        cls.system = cls.env["mfg.integration.system"].create(
            {"code": "HLT-MES", "name": "Health test MES", "kind": "mes"}
        )
        cls.now = fields.Datetime.now()
        cls.hour = cls.now.replace(minute=0, second=0, microsecond=0)

    def require_test_sink(self):
        if TEST_SINK not in self.env:
            self.skipTest(
                "the outbox's test sink kind (test_mfg_integration_outbox) is not installed"
            )

    def log(
        self,
        at,
        status="success",
        latency_ms=10.0,
        attempt=1,
        system=None,
        direction="inbound",
        http_status=None,
    ):
        """A message log row created at `at` (as a late row would be: its id is new);
        ``system=False``: no connected system."""
        row = self.Log.create(
            {
                "direction": direction,
                "system_id": self.system.id if system is None else system and system.id,
                "status": status,
                "http_status": http_status,
                "latency_ms": latency_ms,
                "attempt": attempt,
                "route": "/api/mfg/v1/test",
            }
        )
        self.Log.flush_model()
        self.env.cr.execute(
            "UPDATE mfg_integration_message_log SET create_date = %s WHERE id = %s", (at, row.id)
        )
        row.invalidate_recordset()
        return row

    def make_sink(self, **values):
        self.require_test_sink()
        return self.env[TEST_SINK].create(
            {
                "name": "Health receiver",
                "event_types": "test.outbox.*",
                "system_id": self.system.id,
                **values,
            }
        )

    def deliveries(
        self, sink, count, created, state="pending", attempts=0, written=None, latency_s=None
    ):
        """`count` deliveries to `sink` created at `created`, in `state` since `written`."""
        partner = self.env["res.partner"].create({"name": "Thing"})
        with trap_jobs():
            for _index in range(count):
                self.env["mfg.integration.event"]._emit(TEST_EVENT_TYPE, partner, {"step": 1})
        Delivery = self.env[sink._delivery_model]
        Delivery.flush_model()
        new = Delivery.search(
            [("sink_id", "=", sink.id), ("state", "=", "pending"), ("attempts", "=", 0)]
        )
        new = new.sorted("id")[-count:]
        delivered_at = created + timedelta(seconds=latency_s) if latency_s is not None else None
        self.env.cr.execute(
            f"""UPDATE "{Delivery._table}"
                   SET create_date = %s, write_date = %s, state = %s, attempts = %s,
                       delivered_at = %s
                 WHERE id = ANY(%s)""",
            (created, written or created, state, attempts, delivered_at, new.ids),
        )
        new.invalidate_recordset()
        return new
