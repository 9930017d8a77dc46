import json

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.mfg_integration_api.routing import API_PREFIX
from odoo.addons.mfg_integration_command.commands import ApiKeyIdentity, Command, Invocation
from odoo.addons.mfg_integration_governance.tests.common import GovernanceCase


@tagged("post_install", "-at_install")
class TestCommandPipeline(GovernanceCase):
    """The pipeline run directly, as any transport runs it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client, cls.key_record, cls.key = cls._approved_client_with_key("Echo client")
        cls.Pipeline = cls.env["mfg.integration.command"]
        cls.Calls = cls.env["test.mfg.integration.echo.call"]

    def run_command(self, name, payload, version=1, key=None, idempotency_key=None):
        invocation = Invocation(
            command=self.Pipeline._command(name, version),
            identity=ApiKeyIdentity(key=self.key if key is None else key, remote_addr="10.0.0.1"),
            payload=payload,
            raw=json.dumps(payload).encode(),
            idempotency_key=idempotency_key,
            channel=f"test {name}",
            method="TEST",
        )
        response = self.Pipeline._execute(invocation)
        return response.status, response.body, invocation

    def last_log(self):
        return self.env["mfg.integration.message.log"].search([], order="id desc", limit=1)

    def test_a_command_runs_and_is_recorded(self):
        status, body, invocation = self.run_command("test.echo", {"name": "Ada"})
        self.assertEqual((status, body["greeting"]), (200, "Hello Ada"))
        call = self.Calls.search([("name", "=", "Ada")])
        self.assertEqual(len(call), 1)
        self.assertEqual(call.create_uid, self.client.technical_user_id)
        log = self.last_log()
        self.assertEqual(
            (log.route, log.status, log.http_status), ("test test.echo", "success", 200)
        )
        self.assertEqual(log.correlation_id, invocation.correlation_id)
        self.assertEqual((log.res_model, log.res_id), (call._name, call.id))

    def test_a_later_version_reuses_the_handler(self):
        status, body, _invocation = self.run_command("test.echo", {"full_name": "Grace"}, 2)
        self.assertEqual((status, body["greeting"]), (200, "Hello Grace"))
        # each version validates against its own schema
        status, body, _invocation = self.run_command("test.echo", {"name": "Grace"}, 2)
        self.assertEqual(status, 422)
        self.assertIn("/", {error["pointer"] for error in body["errors"]})
        self.assertEqual(self.Calls.search_count([("name", "=", "Grace")]), 1)

    def test_invalid_payload_changes_nothing(self):
        status, body, _invocation = self.run_command("test.echo", {"name": ""})
        self.assertEqual(status, 422)
        self.assertEqual(body["errors"][0]["pointer"], "/name")
        self.assertFalse(self.Calls.search_count([]))
        self.assertEqual(self.last_log().status, "rejected")

    def test_idempotency_key_applies_once(self):
        first = self.run_command("test.echo", {"name": "Once"}, idempotency_key="k-1")
        again = self.run_command("test.echo", {"name": "Once"}, idempotency_key="k-1")
        self.assertEqual(first[:2], again[:2])
        self.assertEqual(self.Calls.search_count([("name", "=", "Once")]), 1)
        reused = self.run_command("test.echo", {"name": "Other"}, idempotency_key="k-1")
        self.assertEqual(
            (reused[0], reused[1]["type"].rsplit("/", 1)[1]), (422, "idempotency-key-reused")
        )

    def test_a_refusal_is_kept_under_its_idempotency_key(self):
        first = self.run_command("test.fail", {"kind": "business"}, idempotency_key="k-no")
        again = self.run_command("test.fail", {"kind": "business"}, idempotency_key="k-no")
        self.assertEqual(first[0], 422)
        self.assertEqual(first[:2], again[:2])
        # the handler's change went with its savepoint, the claim of the key did not
        self.assertFalse(self.Calls.search_count([]))
        stored = self.env["mfg.integration.idempotency"].search([("key", "=", "k-no")])
        self.assertEqual((len(stored), stored.response_status), (1, 422))
        self.assertEqual(self.last_log().error, "replayed from the Idempotency-Key store")

    def test_an_unexpected_error_frees_its_idempotency_key(self):
        with mute_logger("odoo.addons.mfg_integration_command.models.command_pipeline"):
            status = self.run_command("test.fail", {"kind": "crash"}, idempotency_key="k-x")[0]
        self.assertEqual(status, 500)
        self.assertFalse(self.env["mfg.integration.idempotency"].search([("key", "=", "k-x")]))
        self.assertFalse(self.Calls.search_count([]))
        self.assertEqual((self.last_log().http_status, self.last_log().status), (500, "failed"))

    def test_typed_errors_are_rendered_and_leave_nothing(self):
        expected = {
            "conflict": (409, "conflict"),
            "business": (422, "business-rule"),
            "unmapped": (422, "unmapped-code"),
        }
        for kind, (status, slug) in expected.items():
            with self.subTest(kind=kind):
                result = self.run_command("test.fail", {"kind": kind})
                self.assertEqual((result[0], result[1]["type"].rsplit("/", 1)[1]), (status, slug))
        self.assertEqual(
            self.run_command("test.fail", {"kind": "conflict"})[1]["reference"], "ECHO-1"
        )
        unmapped = self.run_command("test.fail", {"kind": "unmapped"})[1]
        self.assertEqual((unmapped["kind"], unmapped["value"]), ("colour", "RED"))
        self.assertFalse(self.Calls.search_count([]))

    def test_unknown_callers_are_refused(self):
        status, body, _invocation = self.run_command("test.echo", {"name": "X"}, key="")
        self.assertEqual((status, body["type"].rsplit("/", 1)[1]), (401, "unauthenticated"))
        self.assertFalse(self.Calls.search_count([]))
        self.assertEqual((self.last_log().http_status, self.last_log().status), (401, "rejected"))

    def test_catalog_is_built_once_and_checked(self):
        table = self.Pipeline._command_table()
        self.assertIs(table, self.Pipeline._command_table())
        self.assertIn(("test.echo", 2), table)
        missing = Command(name="test.ghost", handler=f"{self.Calls._name}:_nope", summary="-")
        with self.assertRaisesRegex(ValueError, "handler .* does not exist"):
            self.Pipeline._check_handlers([missing])
        self.Pipeline._check_handlers(table.values())
        routes = {
            route.name: command for route, command in self.env["mfg.integration.api"]._route_table()
        }
        self.assertEqual(routes["test_echo_v2"].key, ("test.echo", 2))


@tagged("post_install", "-at_install")
class TestCommandOverRest(HttpCase, GovernanceCase):
    """The REST adapter runs the same command as the pipeline does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client, cls.key_record, cls.key = cls._approved_client_with_key("Echo REST client")

    def post(self, path, payload):
        response = self.url_open(
            API_PREFIX + path,
            data=json.dumps(payload),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        return response.status_code, response.json()

    def test_both_versions_over_rest(self):
        self.assertEqual(
            self.post("/test/echo", {"name": "Ada"}), (200, {"greeting": "Hello Ada", "calls": 1})
        )
        status, body = self.post("/test/v2/echo", {"full_name": "Lin"})
        self.assertEqual((status, body["greeting"]), (200, "Hello Lin"))
        status, body = self.post("/test/v2/echo", {"name": "Lin"})
        self.assertEqual(status, 422)
        log = self.env["mfg.integration.message.log"].search([], order="id desc", limit=1)
        self.assertEqual(log.route, f"POST {API_PREFIX}/test/v2/echo")
