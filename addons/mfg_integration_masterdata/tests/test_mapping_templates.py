from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MasterdataCase


@tagged("post_install", "-at_install")
class TestMappingTemplates(MasterdataCase):
    def value_map(self, system, domain):
        return self.env["mfg.integration.value.map"].search(
            [("system_id", "=", system.id), ("domain", "=", domain)]
        )

    def test_template_round_trip_drift_and_approved_push(self):
        Template = self.env["mfg.integration.mapping.template"].with_user(self.requester)
        template = Template._save_from_system(self.mes)
        self.assertEqual(
            sorted(template.map_ids.mapped("domain")),
            ["mrp.production.state", "scrap.reason", "uom"],
        )
        uom_template = template.map_ids.filtered(lambda m: m.domain == "uom")
        self.assertEqual(
            (uom_template.target_model, sorted(uom_template.line_ids.mapped("external_code"))),
            ("uom.uom", ["DZN", "EA", "KGM"]),
        )
        self.assertEqual(
            sorted(template.object_type_ids.mapped("code")), ["location", "product", "workcenter"]
        )

        # a second plant's system from the template: value maps copied, marked, and working
        wizard = (
            self.env["mfg.integration.mapping.template.new.system"]
            .with_user(self.requester)
            .create(
                {
                    "template_id": template.id,
                    "code": "MES-02",
                    "name": "MES plant 2",
                    "warehouse_id": self.warehouse.id,
                }
            )
        )
        plant = self.env["mfg.integration.system"].browse(wizard.action_create()["res_id"])
        self.assertEqual(
            (plant.code, plant.mfg_template_id, plant.kind), ("MES-02", template, "mes")
        )
        copied = self.env["mfg.integration.value.map"].search([("system_id", "=", plant.id)])
        self.assertEqual(copied.mfg_template_map_id, template.map_ids)
        self.assertFalse(
            self.env["mfg.integration.xref"].search_count([("system_id", "=", plant.id)]),
            "cross-references are per system: never copied",
        )
        Mapping = self.env["mfg.integration.mapping"]
        self.assertEqual(Mapping.map_inbound_record(plant, "uom", "KGM"), self.uom_kg)
        self.assertEqual(Mapping.map_inbound(plant, "mrp.production.state", "REL"), "confirmed")
        self.assertEqual(template._drift(plant), [])
        self.assertEqual(template._drift(self.mes), [])

        # the plant drifts: an entry changed, one added, a map dropped, one added, a setting
        plant_uom = self.value_map(plant, "uom")
        plant_uom.line_ids.filtered(
            lambda line: line.external_code == "DZN"
        ).record_ref = f"uom.uom,{self.uom_unit.id}"
        plant_uom.line_ids = [
            (0, 0, {"external_code": "PCE", "record_ref": f"uom.uom,{self.uom_unit.id}"})
        ]
        self.value_map(plant, "scrap.reason").unlink()
        self.value_map(plant, "mrp.production.state").case_sensitive = False
        self.env["mfg.integration.value.map"].create(
            {
                "system_id": plant.id,
                "domain": "quality.reason",
                "line_ids": [(0, 0, {"external_code": "Q1", "canonical_value": "porosity"})],
            }
        )
        drift = template._drift(plant)
        self.assertEqual(
            [(d["domain"], d["kind"], d["external_code"]) for d in drift],
            [
                ("mrp.production.state", "changed_setting", "case_sensitive"),
                ("scrap.reason", "missing_map", False),
                ("uom", "changed_entry", "DZN"),
                ("uom", "extra_entry", "PCE"),
                ("quality.reason", "extra_map", False),
            ],
        )
        changed = drift[2]
        self.assertIn(f"uom.uom,{self.uom_dozen.id}", changed["template_value"])
        self.assertIn(f"uom.uom,{self.uom_unit.id}", changed["system_value"])
        action = plant.with_user(self.requester).action_drift_report()
        report = self.env["mfg.integration.mapping.drift"].search(action["domain"])
        self.assertEqual(len(report), 5)
        self.assertEqual(set(report.system_id.mapped("code")), {"MES-02"})

        # a template change reaches its plants once a second manager approves the push
        uom_template.with_user(self.requester).line_ids = [
            (0, 0, {"external_code": "BX", "record_ref": f"uom.uom,{self.uom_dozen.id}"})
        ]
        template.with_user(self.requester).action_request_push()
        with self.assertRaisesRegex(UserError, "another Integration Manager must approve"):
            template.with_user(self.requester).action_approve_push()
        self.assertFalse(Mapping.has_value_map(plant, "scrap.reason"))
        template.with_user(self.approver).action_approve_push()
        self.assertEqual(template.push_state, "none")
        self.assertEqual(Mapping.map_inbound_record(plant, "uom", "BX"), self.uom_dozen)
        self.assertEqual(Mapping.map_inbound_record(plant, "uom", "DZN"), self.uom_dozen)
        self.assertEqual(
            [(d["domain"], d["kind"], d["external_code"]) for d in template._drift(plant)],
            [("uom", "extra_entry", "PCE"), ("quality.reason", "extra_map", False)],
            "the plant's own entries and maps are kept",
        )
        self.assertIn("Push approved by", template.message_ids[0].body)
