from datetime import timedelta

from odoo import fields

from odoo.addons.mfg_integration_core.tests.test_retention import RetentionCase


class TestApiRetention(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.env["mfg.integration.client"].create({"name": "Retention client"})

    def request(self, state, days, items=2):
        request = self.env["mfg.integration.api.request"].create(
            {
                "client_id": self.client.id,
                "command_name": "inventory.movements",
                "state": state,
                "item_ids": [(0, 0, {"sequence": n, "payload": "{}"}) for n in range(items)],
            }
        )
        self.age(request, days)
        self.age(request.item_ids, days)
        return request

    def test_finished_requests_and_their_items_go(self):
        old = {state: self.request(state, 40) for state in ("done", "partial", "failed")}
        running = {state: self.request(state, 400) for state in ("queued", "processing")}
        recent = self.request("done", 10)
        old_items = self.env["mfg.integration.api.request.item"].concat(
            *(request.item_ids for request in old.values())
        )
        self.assertEqual(len(old_items), 6)

        self.purge()

        for state, request in old.items():
            self.assertFalse(request.exists(), state)
        self.assertFalse(old_items.exists())
        for request in (*running.values(), recent):
            self.assertTrue(request.exists(), request.state)
            self.assertEqual(len(request.item_ids.exists()), 2)

    def test_idempotency_keys_stay_for_their_replay_window(self):
        Key = self.env["mfg.integration.idempotency"]
        now = fields.Datetime.now()
        values = {"client_id": self.client.id, "route": "POST /x", "fingerprint": "f"}
        expired = Key.create({**values, "key": "a", "expires_at": now - timedelta(minutes=1)})
        # created long ago, but its window (a longer setting at the time) is still open
        open_window = Key.create({**values, "key": "b", "expires_at": now + timedelta(hours=1)})
        self.age(open_window, 400)
        self.purge()
        self.assertFalse(expired.exists())
        self.assertTrue(open_window.exists())
