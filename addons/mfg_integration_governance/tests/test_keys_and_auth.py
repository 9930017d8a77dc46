from datetime import timedelta

from freezegun import freeze_time

from odoo import fields

from odoo.addons.mfg_integration_governance.models.auth import (
    UNAUTHENTICATED_DETAIL,
    Forbidden,
    Unauthenticated,
)

from .common import GovernanceCase


class TestKeys(GovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client, cls.key, cls.secret = cls._approved_client_with_key()

    def test_key_is_random_and_shown_once(self):
        self.assertRegex(self.secret, r"^mfgk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")
        _client, _key, other = self._approved_client_with_key("Other")
        self.assertNotEqual(self.secret, other)
        Reveal = self.env["mfg.integration.api.key.reveal"]
        form = Reveal.with_context(mfg_api_key_secret=self.secret).onchange(
            {}, [], {"secret": {}, "key_id": {}}
        )
        self.assertEqual(form["value"]["secret"], self.secret)
        # saving the dialog would store no key; a later dialog shows none
        saved = Reveal.with_context(mfg_api_key_secret=self.secret).create({"key_id": self.key.id})
        self.assertFalse(saved.secret)
        self.assertFalse(Reveal.onchange({}, [], {"secret": {}})["value"]["secret"])
        self.assertEqual(self.key.display_prefix, f"mfgk_{self.key.prefix}_…")

    def test_no_table_holds_a_usable_key(self):
        """Scan every text column of every table for the key or its secret part."""
        self.env.flush_all()
        secret_part = self.secret.split("_", 2)[2]
        self.env.cr.execute(
            """SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = 'public'
                  AND data_type IN ('character varying', 'text', 'jsonb', 'json')"""
        )
        columns = self.env.cr.fetchall()
        self.assertGreater(len(columns), 500)
        found = []
        for table, column in columns:
            self.env.cr.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s',
                [f"%{secret_part}%"],
            )
            if self.env.cr.fetchone()[0]:
                found.append(f"{table}.{column}")
        self.assertEqual(found, [])
        self.env.cr.execute(
            "SELECT key_hash FROM mfg_integration_api_key WHERE id = %s", [self.key.id]
        )
        self.assertRegex(self.env.cr.fetchone()[0], r"^[0-9a-f]{64}$")

    def test_valid_key_runs_as_the_technical_user(self):
        result = self.Auth.authenticate(self.secret, "10.1.2.3", "things:write")
        user = self.client.technical_user_id
        self.assertEqual(result.client, self.client)
        self.assertEqual(result.user, user)
        self.assertEqual(result.client.env.uid, user.id)
        self.assertFalse(user._is_admin())
        self.assertFalse(user._is_superuser())
        self.assertFalse(user.has_group("base.group_system"))
        self.assertTrue(user.has_group("mfg_integration_core.group_integration_user"))
        self.assertFalse(user.password)
        self.assertEqual(result.headers["RateLimit-Limit"], "60")

    def test_scopes_drive_the_technical_users_groups(self):
        user = self.client.technical_user_id
        self.client.write({"scope_ids": [(3, self.scope_mapping_read.id)]})
        self.assertFalse(user.has_group("mfg_integration_core.group_integration_user"))
        self.scope_prod_write.group_ids = self.env.ref(
            "mfg_integration_core.group_integration_user"
        )
        self.assertTrue(user.has_group("mfg_integration_core.group_integration_user"))

    def test_scope_cannot_grant_administration(self):
        with self.assertRaisesRegex(Exception, "never run with administration rights"):
            self.scope_prod_write.group_ids = self.env.ref("base.group_system")

    def _assert_refused_like_unknown(self, key, reason_part):
        with self.assertRaises(Unauthenticated) as caught:
            self.Auth.authenticate(key, "10.1.2.3", "things:write")
        error = caught.exception
        self.assertEqual(error.status, 401)
        self.assertEqual(error.public_detail, UNAUTHENTICATED_DETAIL)
        self.assertIn(reason_part, error.reason)
        return error

    def test_unusable_keys_are_refused_the_same_way(self):
        self._assert_refused_like_unknown(None, "malformed")
        self._assert_refused_like_unknown("", "malformed")
        self._assert_refused_like_unknown("Bearer nonsense", "malformed")
        forged = self.secret[:-4] + "AAAA"
        self._assert_refused_like_unknown(forged, "unknown key")
        unknown_prefix = "mfgk_00000000_" + self.secret.split("_", 2)[2]
        self._assert_refused_like_unknown(unknown_prefix, "unknown key")

    def test_expired_key(self):
        with freeze_time(self.key.expires_at + timedelta(seconds=1)):
            self._assert_refused_like_unknown(self.secret, "is expired")
        with freeze_time(self.key.expires_at - timedelta(seconds=1)):
            self.Auth.authenticate(self.secret, "10.1.2.3", "things:write")

    def test_revoked_key(self):
        self.key.with_user(self.approver).action_revoke()
        self.assertEqual(self.key.state, "revoked")
        self._assert_refused_like_unknown(self.secret, "is revoked")

    def test_suspended_and_revoked_client(self):
        self.client.with_user(self.approver).action_suspend()
        self._assert_refused_like_unknown(self.secret, "is suspended")
        self.client.with_user(self.requester).action_reactivate()
        self.assertEqual(self.client.state, "submitted")
        self._assert_refused_like_unknown(self.secret, "is submitted")
        self.client.with_user(self.approver).action_approve()
        self.Auth.authenticate(self.secret, "10.1.2.3", "things:write")
        self.client.with_user(self.approver).action_revoke()
        self.assertEqual(self.key.state, "revoked")
        self.assertFalse(self.client.technical_user_id.active)
        self._assert_refused_like_unknown(self.secret, "is revoked")

    def test_what_authentication_reads_is_cached_until_it_changes(self):
        def queries_of_one_request():
            self.env.invalidate_all()  # a new request starts with no record in memory
            before = self.env.cr.sql_log_count
            self.Auth.authenticate(self.secret, "10.1.2.3", "things:write")
            return self.env.cr.sql_log_count - before

        self.env.registry.clear_cache()
        cold = queries_of_one_request()
        warm = queries_of_one_request()
        # the key, its client, scopes and companies are read once, not per request
        self.assertGreaterEqual(cold - warm, 4, (cold, warm))
        # every change through Odoo is seen by the next request
        self.client.write({"scope_ids": [(3, self.scope_prod_write.id)]})
        with self.assertRaises(Forbidden):
            self.Auth.authenticate(self.secret, "10.1.2.3", "things:write")
        self.client.write({"scope_ids": [(4, self.scope_prod_write.id)]})
        self.Auth.authenticate(self.secret, "10.1.2.3", "things:write")
        self.key.with_user(self.approver).action_revoke()
        self._assert_refused_like_unknown(self.secret, "is revoked")

    def test_scope_ip_and_company_refusals(self):
        with self.assertRaises(Forbidden) as caught:
            self.Auth.authenticate(self.secret, "10.1.2.3", "things:hold")
        self.assertEqual(caught.exception.status, 403)
        self.assertIn("lacks the scope 'things:hold'", caught.exception.public_detail)
        self.client.ip_allowlist = "10.1.0.0/16\n2001:db8::/32, 192.168.7.7"
        for allowed in ("10.1.2.3", "2001:db8::42", "192.168.7.7", "::ffff:10.1.9.9"):
            self.Auth.authenticate(self.secret, allowed, "things:write")
        for refused in ("10.2.0.1", "2001:db9::1", "192.168.7.8", "not-an-ip", None):
            with self.assertRaises(Forbidden, msg=refused) as caught:
                self.Auth.authenticate(self.secret, refused, "things:write")
            self.assertIn("outside the allow-list", caught.exception.reason)
        with self.assertRaises(Forbidden) as caught:
            self.Auth.authenticate(self.secret, "10.1.2.3", "things:write", self.other_company)
        self.assertIn("may not act in company", caught.exception.reason)
        self.client.allowed_company_ids = self.other_company
        self.Auth.authenticate(self.secret, "10.1.2.3", "things:write", self.other_company)
        self.assertIn(self.other_company, self.client.technical_user_id.company_ids)

    def test_invalid_allowlist_is_refused(self):
        with self.assertRaisesRegex(Exception, "IP allow-list of MES client is not valid"):
            self.client.ip_allowlist = "10.1.0.0/33"

    def test_rotation_keeps_old_key_for_the_grace_period(self):
        self.client.key_rotation_grace_hours = 24
        start = fields.Datetime.now()
        with freeze_time(start):
            action = self.key.with_user(self.approver).action_rotate()
            new_secret = action["context"]["mfg_api_key_secret"]
            new_key = self.key.replaced_by_id
            self.assertEqual(self.key.state, "grace")
            self.Auth.authenticate(self.secret, "10.1.2.3", "things:write")
            self.Auth.authenticate(new_secret, "10.1.2.3", "things:write")
        with freeze_time(start + timedelta(hours=23)):
            self.env["mfg.integration.api.key"]._cron_maintain_keys()
            self.Auth.authenticate(self.secret, "10.1.2.3", "things:write")
        with freeze_time(start + timedelta(hours=25)):
            self._assert_refused_like_unknown(self.secret, "is expired")
            self.env["mfg.integration.api.key"]._cron_maintain_keys()
            self.key.invalidate_recordset()
            self.assertEqual(self.key.state, "revoked")
            self.assertEqual(self.key.revoked_reason, "rotation grace period ended")
            self.Auth.authenticate(new_secret, "10.1.2.3", "things:write")
            self.assertEqual(new_key.state, "active")

    def test_expiring_key_creates_one_activity_for_the_owner(self):
        activity_type = self.env.ref("mfg_integration_governance.mail_activity_key_expiry")
        with freeze_time(self.key.expires_at - timedelta(days=30)):
            self.env["mfg.integration.api.key"]._cron_maintain_keys()
        self.assertFalse(self.client.activity_ids)
        with freeze_time(self.key.expires_at - timedelta(days=10)):
            self.env["mfg.integration.api.key"]._cron_maintain_keys()
            self.env["mfg.integration.api.key"]._cron_maintain_keys()
        activity = self.client.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, activity_type)
        self.assertEqual(activity.user_id, self.client.owner_id)
        self.assertIn("expires soon", activity.summary)
