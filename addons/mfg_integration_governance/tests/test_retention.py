from odoo.addons.mfg_integration_core.tests.test_retention import RetentionCase


class TestGovernanceRetention(RetentionCase):
    def test_audit_trail_is_kept_longest(self):
        Audit = self.env["mfg.integration.audit.log"]
        client = self.env["mfg.integration.client"].create({"name": "Retention client"})
        rows = Audit.search([("client_id", "=", client.id)])
        old, kept = rows[:1], Audit._record("note", client, client=client)
        self.age(old, 731)
        self.age(kept, 700)  # past every other table's retention
        self.purge()
        self.assertFalse(old.exists())
        self.assertTrue(kept.exists())

    def test_refused_credential_counts_follow_the_message_log(self):
        Refusal = self.env["mfg.integration.credential.refusal"]
        old, recent = Refusal.create(
            [
                {"address": "10.0.0.1", "minute": "2020-01-01 10:00:00", "count": 5},
                {"address": "10.0.0.1", "minute": "2020-01-01 10:01:00", "count": 5},
            ]
        )
        self.age(old, 31, column="minute")
        self.age(recent, 29, column="minute")
        self.purge()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
