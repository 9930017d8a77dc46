from openapi_spec_validator import validate

from odoo.tests import tagged

from odoo.addons.mfg_integration_core.json_schema import schema_errors

from ..commands import FLOWS
from ..commands.loads import LOAD_KINDS
from .common import MasterdataCase


@tagged("post_install", "-at_install")
class TestCatalog(MasterdataCase):
    def test_examples_match_their_schemas_and_the_routes_are_documented(self):
        for command in (command for flow in FLOWS for command in flow.COMMANDS):
            with self.subTest(command=command.label):
                self.assertEqual(schema_errors(command.request_schema, command.example), [])
        load_example = self.env["mfg.integration.command"]._command("masterdata.load").example
        for record in load_example["records"]:
            self.assertEqual(schema_errors(LOAD_KINDS[record["kind"]][0], record["data"]), [])
        document = self.url_open("/api/mfg/v1/openapi.json").json()
        validate(document)
        for path, scope in (
            ("/masterdata/items", "masterdata:write"),
            ("/masterdata/boms", "masterdata:write"),
            ("/masterdata/work-centers", "masterdata:write"),
            ("/masterdata/supplier-terms", "supplier_terms:write"),
            ("/masterdata/loads", "masterdata:write"),
        ):
            operation = document["paths"]["/api/mfg/v1" + path]["post"]
            self.assertEqual(operation["x-required-scope"], scope)
        for type_name in (
            "masterdata.item.changed.v1",
            "masterdata.bom.released.v1",
            "masterdata.workcenter.changed.v1",
        ):
            schema = self.url_open(f"/api/mfg/v1/events/schemas/{type_name}").json()
            self.assertEqual(schema["title"], type_name)
