from freezegun import freeze_time

from odoo.tests import tagged

from .common import ApiCase

WRONG_KEY = "mfgk_deadbeef_" + "A" * 43


@tagged("post_install", "-at_install")
class TestRefusedCredentials(ApiCase):
    """Over HTTP: bad keys from one address are throttled, counted and sampled."""

    @freeze_time("2026-03-02 10:15:05", tick=True)  # early in a minute: one counter
    def test_a_flood_of_bad_keys_is_throttled_counted_and_sampled(self):
        self.env["ir.config_parameter"].set_param("mfg_integration.auth_failures_per_minute", 3)
        Log = self.env["mfg.integration.message.log"]
        last_log = Log.search([], order="id desc", limit=1).id or 0
        results = [self.api("GET", "/production-orders?limit=1", key=WRONG_KEY) for _n in range(8)]
        for result in results[:3]:
            self.assertProblem(result, 401, "unauthenticated")
        for result in results[3:]:
            body = self.assertProblem(result, 429, "rate-limited")
            retry_after = int(result[2].headers["Retry-After"])
            self.assertTrue(1 <= retry_after <= 60, retry_after)
            self.assertEqual(body["retry_after"], retry_after)
        # a valid key from the same address is served
        status, _body, _response = self.api("GET", "/production-orders?limit=1")
        self.assertEqual(status, 200)
        # the log has the first refusal and the first throttled one, the counter all eight
        refused = Log.search([("id", ">", last_log), ("http_status", "in", (401, 429))], order="id")
        self.assertEqual(refused.mapped("http_status"), [401, 429])
        self.assertIn("counted under Refused Credentials", refused[0].error)
        counter = self.env["mfg.integration.credential.refusal"].search(
            [("address", "=", "127.0.0.1"), ("minute", "=", "2026-03-02 10:15:00")]
        )
        self.assertEqual(counter.count, 8)
