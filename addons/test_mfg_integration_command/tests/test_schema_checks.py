from hypothesis import given, settings

from odoo.tests import TransactionCase, tagged

from odoo.addons.mfg_integration_core.json_schema import validator_for
from odoo.addons.mfg_integration_core.tests.json_instances import near


@tagged("post_install", "-at_install")
class TestSuiteSchemaChecks(TransactionCase):
    """Every schema the installed suite checks on its hot paths (the payloads
    of its event types, the bodies and queries of its commands) has a compiled
    check, and that check accepts nothing its reference refuses."""

    def suite_schemas(self):
        schemas = {}
        event_types = self.env["mfg.integration.event.type"].search(
            [("payload_schema", "!=", False)]
        )
        for event_type in event_types:
            schemas[f"event {event_type.name}"] = event_type._served_schema()
        for command in self.env["mfg.integration.command"]._command_table().values():
            for part in ("request_schema", "query_schema"):
                if getattr(command, part):
                    schemas[f"{command.label} {part}"] = getattr(command, part)
        return schemas

    def test_every_schema_of_the_suite_is_checked_compiled_and_agrees(self):
        schemas = self.suite_schemas()
        self.assertGreater(len(schemas), 10)
        seen = {"accepted": 0, "refused": 0}
        for name, schema in schemas.items():
            check = validator_for(schema)
            self.assertIsNotNone(
                check.compiled,
                f"{name}: no compiled check (a keyword draft 7 reads otherwise): "
                "every emit or request of it pays the reference's price",
            )

            self.check_agreement(name, schema, check, seen)
        self.assertGreater(seen["accepted"], len(schemas), seen)
        self.assertGreater(seen["refused"], len(schemas), seen)

    def check_agreement(self, name, schema, check, seen):
        @settings(max_examples=25, derandomize=True, database=None, deadline=None)
        @given(near(schema) | near(schema, noise=False))
        def agree(instance):
            try:
                check.compiled(instance)
            except Exception:
                seen["refused"] += 1
                return
            seen["accepted"] += 1
            self.assertTrue(
                check.validator.is_valid(instance),
                f"{name}: the compiled check accepts what the reference refuses: {instance!r}",
            )

        agree()
