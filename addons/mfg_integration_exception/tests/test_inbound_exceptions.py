from odoo.tests import TransactionCase

from .common import CommandSourceCase


class TestInboundExceptions(CommandSourceCase, TransactionCase):
    """The command layer's source: failed items of an asynchronous batch."""

    def test_unmapped_code_then_mapping_then_retry_resolves(self):
        count = {"currency": "DOL", "amount": 10}
        request = self.run_batch([count, {**count, "amount": 11}])
        self.assertEqual(request.state, "failed")
        exception = self.env["mfg.integration.exception"].search(
            [("category", "=", "unmapped_code")]
        )
        self.assertEqual(len(exception), 1, "one exception per unmapped code, not per item")
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(
            exception.name,
            "MES-01 sent currency code 'DOL', which has no mapping in value map 'currency'.",
        )
        self.assertEqual(exception.system_id, self.mes)
        item = exception.source_ref
        self.assertEqual((item.request_id, item.state), (request, "failed"))
        self.assertEqual(exception.correlation_id, request.correlation_id)
        # retrying before the mapping exists fails again, and says so
        exception.action_retry()
        self.assertEqual(exception.state, "new")
        self.assertIn("The retry failed again for 2 of 2 message(s)", exception.message_ids[0].body)
        self.assertEqual(item.state, "failed")
        # the planner adds the missing mapping, then retries
        self.currency_map.line_ids = [
            (
                0,
                0,
                {
                    "external_code": "DOL",
                    "canonical_value": "USD",
                    "record_ref": f"res.currency,{self.usd.id}",
                },
            )
        ]
        exception.action_retry()
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(item.state, "done")
        # the retry reprocessed both failed items, not only the first
        self.assertEqual(request.state, "done")
        self.assertEqual([o.source_ref.state for o in exception.occurrence_ids], ["done", "done"])
