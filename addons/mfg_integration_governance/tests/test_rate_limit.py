import threading

from odoo.tests import TransactionCase
from odoo.tools import SQL

from odoo.addons.mfg_integration_governance.models.auth import RATE_TABLE


class _Facts:
    """What _consume_token reads of a key and its client."""

    def __init__(self, **values):
        self.__dict__.update(values)


class TestRateLimit(TransactionCase):
    """The bucket lives in committed rows: several workers share it."""

    def setUp(self):
        super().setUp()
        # an id no real client has, so that committed bucket rows harm nothing
        self.client_id = -4242
        self.addCleanup(self._drop_bucket)
        self._drop_bucket()

    def _drop_bucket(self):
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "DELETE FROM %s WHERE client_id = %s",
                    SQL.identifier(RATE_TABLE),
                    self.client_id,
                )
            )

    def _facts(self, burst, per_minute):
        return _Facts(
            client_id=self.client_id,
            key_id=0,
            rate_limit_burst=burst,
            rate_limit_per_minute=per_minute,
        )

    def test_burst_then_refusal_with_retry_after(self):
        Auth = self.env["mfg.integration.auth"]
        facts = self._facts(3, 6)
        outcomes = [Auth._consume_token(facts, "127.0.0.1") for _i in range(4)]
        self.assertEqual([allowed for allowed, _h, _r in outcomes], [True, True, True, False])
        self.assertEqual(outcomes[0][1]["RateLimit-Remaining"], "2")
        self.assertEqual(outcomes[2][1]["RateLimit-Remaining"], "0")
        allowed, headers, retry_after = outcomes[3]
        # 6 per minute: one token every 10 s
        self.assertTrue(1 <= retry_after <= 10)
        self.assertEqual(headers["RateLimit-Limit"], "3")

    def test_two_concurrent_cursors_share_one_bucket(self):
        """Two threads, each with its own database connection, race for 10 tokens."""
        Auth = self.env["mfg.integration.auth"]
        facts = self._facts(10, 1)
        results = []
        barrier = threading.Barrier(2)

        def hammer():
            barrier.wait()
            for _i in range(15):
                results.append(Auth._consume_token(facts, "127.0.0.1")[0])

        threads = [threading.Thread(target=hammer) for _i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len(results), 30)
        # one token a minute: no refill during the race
        self.assertEqual(results.count(True), 10)
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT tokens FROM %s WHERE client_id = %s",
                    SQL.identifier(RATE_TABLE),
                    self.client_id,
                )
            )
            self.assertLess(cr.fetchone()[0], 1)
