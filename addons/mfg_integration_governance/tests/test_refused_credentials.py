from freezegun import freeze_time

from odoo.addons.mfg_integration_governance.models.auth import AuthRefused

from .common import GovernanceCase

# early in a minute, so that a test's refusals all fall in it
EARLY_IN_A_MINUTE = "2026-03-02 10:15:05"

WRONG_KEY = "mfgk_deadbeef_" + "A" * 43


class TestRefusedCredentials(GovernanceCase):
    """Bad keys are throttled per address and counted, not logged one by one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client, cls.key, cls.secret = cls._approved_client_with_key()
        # the counter's own short transaction runs on the test's cursor, rolled back with it
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.env["ir.config_parameter"].set_param("mfg_integration.auth_failures_per_minute", 3)

    def _refusal(self, key, address):
        # not assertRaises: its savepoint would roll the counter back
        try:
            self.Auth.authenticate(key, address, "things:write")
        except AuthRefused as refusal:
            return refusal
        return self.fail(f"{key} was accepted")

    def _counted(self, address):
        return sum(
            self.env["mfg.integration.credential.refusal"]
            .search([("address", "=", address)])
            .mapped("count")
        )

    @freeze_time(EARLY_IN_A_MINUTE, tick=True)
    def test_an_address_over_the_limit_is_throttled_alone(self):
        wrong_secret = self.secret[:-4] + "AAAA"
        refusals = [
            self._refusal(key, "10.6.6.6") for key in (None, "garbage", WRONG_KEY, wrong_secret)
        ]
        self.assertEqual([refusal.status for refusal in refusals], [401, 401, 401, 429])
        throttled = refusals[-1]
        self.assertEqual(throttled.headers["Retry-After"], str(throttled.retry_after))
        self.assertTrue(50 <= throttled.retry_after <= 55, throttled.retry_after)
        self.assertIn("retry in", throttled.public_detail)
        # another address is not affected
        self.assertEqual(self._refusal(WRONG_KEY, "10.7.7.7").status, 401)
        # counted per address, every refusal
        self.assertEqual(self._counted("10.6.6.6"), 4)
        self.assertEqual(self._counted("10.7.7.7"), 1)
        # sampled: the first of the minute and the first throttled one only
        self.assertEqual([refusal.logged for refusal in refusals], [True, False, False, True])

    @freeze_time(EARLY_IN_A_MINUTE, tick=True)
    def test_a_valid_key_still_works_from_a_throttled_address(self):
        for _attempt in range(5):
            self._refusal(WRONG_KEY, "10.6.6.6")
        self.assertEqual(self._refusal(WRONG_KEY, "10.6.6.6").status, 429)
        result = self.Auth.authenticate(self.secret, "10.6.6.6", "things:write")
        self.assertEqual(result.client, self.client)
        # a key that is known but unusable is refused as before, not counted
        self.key.with_user(self.approver).action_revoke()
        self.assertIn("is revoked", self._refusal(self.secret, "10.6.6.6").reason)
        self.assertEqual(self._counted("10.6.6.6"), 6)

    @freeze_time(EARLY_IN_A_MINUTE, tick=True)
    def test_zero_turns_throttling_off(self):
        self.env["ir.config_parameter"].set_param("mfg_integration.auth_failures_per_minute", 0)
        statuses = {self._refusal(WRONG_KEY, "10.6.6.6").status for _attempt in range(10)}
        self.assertEqual(statuses, {401})
        self.assertEqual(self._counted("10.6.6.6"), 10)
