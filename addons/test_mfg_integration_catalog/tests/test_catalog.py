import json
from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.mfg_integration_catalog.models import interface as interface_module
from odoo.addons.mfg_integration_catalog.models.interface_member import SUITE_FLOWS

from .common import CatalogCase


@tagged("post_install", "-at_install")
class TestInventory(CatalogCase):
    def test_every_command_and_event_type_of_the_suite_is_catalogued(self):
        self.Member._sync_inventory()
        commands = {
            command.name
            for command in self.env["mfg.integration.command"]._command_table().values()
        }
        members = self.Member.search([("kind", "=", "command")])
        self.assertEqual(set(members.mapped("key")), commands)
        for name in ("production_order.create", "production_order.confirm"):
            self.assertEqual(
                members.filtered(lambda m, name=name: m.key == name).interface_id.code,
                "MRP-PRODUCTION",
            )
        # every business addon's flow, where installed, has its interface
        flows = self.Member._suite_flow_commands()
        self.assertIn(("mfg_integration_mrp", "production"), flows)
        for (addon, flow), names in flows.items():
            code = SUITE_FLOWS[addon][flow][0]
            for name in names:
                self.assertEqual(
                    members.filtered(lambda m, name=name: m.key == name).interface_id.code,
                    code,
                    f"{addon}: {name}",
                )
        event_types = self.env["mfg.integration.event.type"].search([])
        catalogued = self.Member.search([("kind", "=", "event_type")])
        self.assertEqual(set(catalogued.mapped("res_id")), set(event_types.ids))
        self.assertEqual(
            catalogued.filtered(lambda m: m.name == "stock.lot.held.v1").interface_id.code,
            "MRP-QUALITY",
        )

    def test_a_new_event_type_is_flagged_until_someone_catalogues_it(self):
        event_type = self.env["mfg.integration.event.type"].create(
            {"name": "legacy.wms.stock.moved.v1", "description": "From the legacy WMS"}
        )
        flagged = self.Member._sync_inventory()
        member = self.Member.search(
            [("kind", "=", "event_type"), ("key", "=", f"{event_type._name},{event_type.id}")]
        )
        self.assertFalse(member.interface_id)
        self.assertIn(member, self.Member.search([("interface_id", "=", False)]))
        member.interface_id = self.production_interface
        self.assertEqual(self.Member._sync_inventory(), flagged - 1)
        # gone from the catalog with the record
        event_type.unlink()
        self.Member._sync_inventory()
        self.assertFalse(member.exists())

    def test_a_new_command_queue_is_flagged_where_the_broker_is_installed(self):
        connection = self.env["mfg.integration.broker.connection"].create(
            {"name": "Catalog inventory broker", "url": "amqp://127.0.0.1:5672/%2F"}
        )
        queue = self.env["mfg.integration.broker.queue"].create(
            {
                "name": "mfg_integration_catalog.inventory.commands",
                "connection_id": connection.id,
                "client_id": self.client.id,
            }
        )
        self.Member._sync_inventory()
        member = self.Member.search([("kind", "=", "command_queue"), ("res_id", "=", queue.id)])
        self.assertEqual((member.res_model, member.name), (queue._name, queue.display_name))
        self.assertFalse(member.interface_id)
        self.assertEqual(member.action_open_record()["res_id"], queue.id)

    def test_a_consultant_edits_the_catalog_and_an_integration_user_reads_it(self):
        consultant = new_test_user(
            self.env,
            login="catalog_consultant",
            groups="mfg_integration_catalog.group_integration_consultant",
        )
        reader = new_test_user(
            self.env, login="catalog_reader", groups="mfg_integration_core.group_integration_user"
        )
        interface = self.production_interface
        interface.with_user(consultant).write({"migration_wave": 3, "criticality": "critical"})
        self.assertEqual(interface.migration_wave, 3)
        self.assertEqual(interface.with_user(reader).criticality, "critical")
        with self.assertRaises(AccessError):
            interface.with_user(reader).write({"mode": "retired"})
        with self.assertRaises(AccessError):
            self.Interface.with_user(reader).create(
                {"code": "X", "name": "X", "business_process": "inventory"}
            )

    def test_an_interface_of_another_company_is_not_seen(self):
        other = self.env["res.company"].create({"name": "Other plant"})
        hidden = self.Interface.create(
            {
                "code": "OTHER-1",
                "name": "Other plant's feed",
                "business_process": "inventory",
                "company_id": other.id,
            }
        )
        reader = new_test_user(
            self.env, login="catalog_reader2", groups="mfg_integration_core.group_integration_user"
        )
        self.assertNotIn(hidden, self.Interface.with_user(reader).search([]))

    def test_a_redacted_pointer_must_be_a_json_pointer(self):
        with self.assertRaisesRegex(ValidationError, "'lot' is not a JSON pointer"):
            self.production_interface.redacted_pointers = "/origin\nlot"
            self.env.flush_all()


@tagged("post_install", "-at_install")
class TestClassification(CatalogCase):
    def test_a_restricted_interface_keeps_no_payload_in_the_message_log(self):
        self.production_interface.classification = "restricted"
        status, body, response = self.create_order("PLN-R1", 3, origin="Secret plan")
        self.assertEqual(status, 201, body)
        log = self.last_log()
        self.assertEqual(log.correlation_id, response.headers["X-Correlation-ID"])
        self.assertEqual(
            (log.status, log.http_status, log.route),
            ("success", 201, "POST /api/mfg/v1/production-orders"),
        )
        self.assertEqual(log.record_ref, self._production("PLN-R1"))
        self.assertFalse(log.request_payload)
        self.assertFalse(log.response_payload)
        # the headers are metadata, kept with their secrets masked
        self.assertEqual(json.loads(log.request_headers)["authorization"], "***")
        # another interface's payloads are still logged
        self.production_interface.classification = "internal"
        self.create_order("PLN-R2", 3, origin="Open plan")
        self.assertIn("Open plan", self.last_log().request_payload)

    def test_a_restricted_interface_keeps_no_payload_of_a_refusal_either(self):
        self.production_interface.classification = "restricted"
        body = self.assertProblem(
            self.api(
                "POST",
                "/production-orders",
                {"id": "PLN-R3", "product": "FG-999", "quantity": 1, "unit": "EA"},
            ),
            422,
            "unknown-reference",
        )
        log = self.last_log()
        self.assertEqual((log.status, log.correlation_id), ("rejected", body["correlation_id"]))
        self.assertFalse(log.request_payload)
        self.assertFalse(log.response_payload)

    def test_a_confidential_interface_masks_its_json_pointers(self):
        self.production_interface.write(
            {"classification": "confidential", "redacted_pointers": "/origin\n/reference"}
        )
        status, body, _response = self.create_order("PLN-C1", 4, origin="Customer ACME rush")
        self.assertEqual(status, 201, body)
        # the caller gets the whole answer, the log keeps the rest
        self.assertTrue(body["reference"])
        log = self.last_log()
        logged = json.loads(log.request_payload)
        self.assertEqual(logged["origin"], "***")
        self.assertEqual(
            (logged["id"], logged["quantity"], logged["product"]), ("PLN-C1", 4, "FG-100")
        )
        answered = json.loads(log.response_payload)
        self.assertEqual(answered["reference"], "***")
        self.assertEqual(answered["id"], "PLN-C1")
        self.assertNotIn("Customer ACME rush", log.request_payload)

    def test_volume_error_rate_and_last_use_are_measured_from_the_message_log(self):
        interface = self.production_interface
        self.assertEqual(self.create_order("PLN-M1", 1)[0], 201)
        self.assertEqual(self.create_order("PLN-M2", 1)[0], 201)
        self.assertEqual(self.create_order("PLN-M1", 1)[0], 409)  # the same order again
        log = self.last_log()
        self.assertEqual(
            (log.command_name, log.interface_id), ("production_order.create.v1", interface)
        )
        interface.invalidate_recordset()
        self.assertEqual(interface.volume_30d, 3)
        self.assertAlmostEqual(interface.error_rate_30d, 100.0 / 3, places=1)
        self.assertEqual(interface.last_used, log.create_date)

    def test_reports_list_redundant_links_and_unused_interfaces(self):
        wms = self.env["mfg.integration.system"].create(
            {"code": "WMS-LEGACY", "name": "Legacy WMS", "kind": "wms"}
        )
        production = self.env["mfg.integration.object.type"].search([("code", "=", "production")])
        common = {
            "business_process": "demand_to_production",
            "source_system_id": self.mes.id,
            "target_system_id": wms.id,
            "object_type_ids": [(6, 0, production.ids)],
        }
        legacy = self.Interface.create({"code": "LEGACY-PO", "name": "Legacy orders", **common})
        new = self.Interface.create({"code": "NEW-PO", "name": "New orders", **common})
        other = self.Interface.create(
            {
                "code": "OTHER-PO",
                "name": "Other way",
                **common,
                "source_system_id": wms.id,
                "target_system_id": self.mes.id,
            }
        )
        self.env.flush_all()
        redundant = self.env["mfg.integration.redundant.link"].search([])
        self.assertEqual(redundant.interface_id, legacy | new)
        self.assertEqual(set(redundant.mapped("link_count")), {2})
        # unused: no logged command in 30 days
        self.assertEqual(self.create_order("PLN-U1", 1)[0], 201)
        unused = self.Interface.search([("volume_30d", "=", 0)])
        self.assertFalse((legacy | new | other) - unused)
        self.assertNotIn(self.production_interface, unused)
        self.assertIn(self.production_interface, self.Interface.search([("volume_30d", ">", 0)]))

    def test_a_criticality_is_proposed_from_the_process_and_the_volume_and_confirmed(self):
        interface = self.Interface.create(
            {
                "code": "FIN-1",
                "name": "Cost postings",
                "business_process": "finance",
                "criticality": "low",
            }
        )
        self.assertEqual(interface.proposed_criticality, "medium")
        interface.business_process = "quality_containment"
        self.assertEqual(interface.proposed_criticality, "high")
        interface.action_confirm_proposed_criticality()
        self.assertEqual(interface.criticality, "high")
        # busy: one level up (the threshold lowered to the messages of the test)
        self.env["mfg.integration.message.log"].create(
            [
                {
                    "direction": "inbound",
                    "status": "success",
                    "interface_id": interface.id,
                    "command_name": "quality.hold.v1",
                }
            ]
            * 3
        )
        interface.invalidate_recordset()
        with patch.object(interface_module, "HIGH_VOLUME_30D", 3):
            self.assertEqual(interface.proposed_criticality, "critical")
