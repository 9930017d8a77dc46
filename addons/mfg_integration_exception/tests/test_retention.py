from odoo.addons.mfg_integration_core.tests.test_retention import RetentionCase


class TestExceptionRetention(RetentionCase):
    def test_only_closed_exceptions_past_retention_go(self):
        Exception_ = self.env["mfg.integration.exception"]
        old = {
            state: Exception_.create({"name": f"Old {state}", "state": state})
            for state in ("new", "in_progress", "waiting", "escalated", "resolved", "ignored")
        }
        recent = Exception_.create({"name": "Recent resolved", "state": "resolved"})
        for exception in old.values():
            self.age(exception, 200)
        self.age(recent, 100)
        old["resolved"].message_post(body="Fixed at the source")
        message = old["resolved"].message_ids[:1]

        self.purge()

        self.assertFalse(old["resolved"].exists())
        self.assertFalse(old["ignored"].exists())
        self.assertFalse(message.exists(), "its chatter goes with it")
        for state in ("new", "in_progress", "waiting", "escalated"):
            self.assertTrue(old[state].exists(), state)
        self.assertTrue(recent.exists())
