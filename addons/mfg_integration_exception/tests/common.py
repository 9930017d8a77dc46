"""What the exception app's tests share. They run on a database with core,
governance, the command layer and the app only (``setup/test`` runs them on
``<db>_minimal``): no manufacturing, no webhooks, no REST transport, and so no
business command. ``CommandSourceCase`` declares two commands of its own for
the time of each test, run through the real pipeline with a real API key:

- ``test.exception.count``, asynchronous: a batch of cash counts, each count's
  currency translated through MES-01's value map ``currency`` (an unmapped
  currency code fails its item, which the command layer reports, and which a
  retry applies again);
- ``test.exception.release``, synchronous: a payment released to a partner
  translated through MES-01's cross-references (core's object type
  ``partner``), its currency (if any) through the value map (an unknown partner
  or an unmapped currency code refuses the command, which the command layer
  reports).

Only what that database has: currencies and partners of ``base``, no unit of
measure and no product.
"""

import json
from unittest.mock import patch

from odoo.tests import new_test_user

from odoo.addons.mfg_integration_command.commands import (
    ApiKeyIdentity,
    Command,
    CommandResult,
    Invocation,
)
from odoo.addons.queue_job.job import Job

PLANNER = "base.group_user,mfg_integration_core.group_integration_user"
MANAGER = "base.group_user,mfg_integration_core.group_integration_manager"

COUNTS = {
    "type": "object",
    "required": ["counts"],
    "properties": {
        "counts": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["currency", "amount"],
                "properties": {"currency": {"type": "string"}, "amount": {"type": "number"}},
            },
        }
    },
}
RELEASE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["partner", "amount"],
    "properties": {
        "partner": {"type": "string", "minLength": 1},
        "amount": {"type": "number", "exclusiveMinimum": 0},
        "currency": {"type": "string"},
    },
}
HANDLERS = "mfg.integration.command"
TEST_COMMANDS = [
    Command(
        name="test.exception.count",
        handler=f"{HANDLERS}:_test_exception_count",
        summary="Cash counts in the sender's currency codes, applied one by one by a job",
        scope="mapping:read",
        request_schema=COUNTS,
        mode="async",
        batch_key="counts",
    ),
    Command(
        name="test.exception.release",
        handler=f"{HANDLERS}:_test_exception_release",
        summary="Release a payment to a partner known by the sender's id",
        scope="mapping:read",
        request_schema=RELEASE,
    ),
]


def _test_exception_count(self, ctx, payload, index=None):
    currency = ctx.map_in_record("currency", payload["currency"], f"/counts/{index}/currency")
    return CommandResult({"currency": currency.name, "amount": payload["amount"]}, currency)


def _test_exception_release(self, ctx, payload):
    partner = ctx.resolve("partner", payload["partner"], "/partner")
    if "currency" in payload:
        ctx.map_in_record("currency", payload["currency"], "/currency")
    return CommandResult({"partner": partner.display_name, "amount": payload["amount"]})


class CommandSourceCase:
    """A mixin for a TransactionCase or an HttpCase: MES-01 with a value map of
    currencies on ``res.currency`` (``EUR`` is *EUR*; ``DOL``, the sender's code
    for US dollars, is unmapped), an approved API client of MES-01 with a key,
    and the two test commands."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.mes = env["mfg.integration.system"].create({"code": "MES-01", "name": "MES"})
        cls.eur = env.ref("base.EUR")
        cls.usd = env.ref("base.USD")
        cls.currency_map = env["mfg.integration.value.map"].create(
            {
                "system_id": cls.mes.id,
                "domain": "currency",
                "target_model": "res.currency",
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "external_code": "EUR",
                            "canonical_value": "EUR",
                            "record_ref": f"res.currency,{cls.eur.id}",
                        },
                    )
                ],
            }
        )
        requester = new_test_user(env, login="exc_requester", groups=MANAGER)
        approver = new_test_user(env, login="exc_approver", groups=MANAGER)
        scope = env.ref("mfg_integration_governance.scope_mapping_read")
        client = (
            env["mfg.integration.client"]
            .with_user(requester)
            .create({"name": "MES client", "system_id": cls.mes.id, "scope_ids": scope.ids})
        )
        client.action_submit()
        client.with_user(approver).action_approve()
        action = client.with_user(approver).action_issue_key()
        cls.client = client.with_user(env.user)
        cls.key = action["context"]["mfg_api_key_secret"]

    def setUp(self):
        super().setUp()
        Commands = type(self.env["mfg.integration.command"])
        declared = Commands._mfg_commands

        def _mfg_commands(model):
            return declared(model) + TEST_COMMANDS

        # undone in reverse order: the patches first, then the command table built with them
        self.addCleanup(self.env.registry.clear_cache)
        self.startPatcher(patch.object(Commands, "_mfg_commands", _mfg_commands))
        for handler in (_test_exception_count, _test_exception_release):
            self.startPatcher(patch.object(Commands, handler.__name__, handler, create=True))
        self.env.registry.clear_cache()

    def run_command(self, name, payload):
        """Run a test command through the pipeline, as a transport does; return
        (status, body)."""
        Commands = self.env["mfg.integration.command"]
        outcome = Commands._execute(
            Invocation(
                command=Commands._command(name),
                identity=ApiKeyIdentity(key=self.key, remote_addr="10.0.0.1"),
                payload=payload,
                raw=json.dumps(payload).encode(),
                channel=f"TEST {name}",
                method="TEST",
            )
        )
        return outcome.status, outcome.body

    def run_batch(self, counts):
        """Send a batch of counts and run its job as the job runner would;
        return the batch (``mfg.integration.api.request``)."""
        status, body = self.run_command("test.exception.count", {"counts": counts})
        self.assertEqual(status, 202, body)
        request = self.env["mfg.integration.api.request"].browse(body["id"])
        stored = self.env["queue.job"].search([("uuid", "=", request.job_uuid)])
        self.assertEqual(stored.state, "pending")
        job = Job.load(self.env, stored.uuid)
        job.set_started()
        job.perform()
        job.set_done()
        job.store()
        return request
