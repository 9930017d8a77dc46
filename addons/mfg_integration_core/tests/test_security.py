from odoo.exceptions import AccessError

from .common import MappingCase

CORE_GROUP = "mfg_integration_core.group_integration_"


class TestAccessRights(MappingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.planner = cls._user("planner", "base.group_user," + CORE_GROUP + "user")
        cls.consultant = cls._user("consultant", "base.group_user," + CORE_GROUP + "manager")
        cls.outsider = cls._user("outsider", "base.group_user")
        cls.xref = cls._xref(cls.mes, cls.type_partner, "SUP-100", cls.supplier)
        cls.value_map = cls._value_map(cls.mes, "currency", [("EUR", "euro", None, True)])
        cls.log = cls.env["mfg.integration.message.log"]._log_exchange(
            {"direction": "inbound", "system_id": cls.mes.id, "status": "success"}
        )

    def test_planner_reads_but_does_not_configure(self):
        env = self.env(user=self.planner)
        self.assertEqual(env["mfg.integration.system"].search([("code", "=", "MES-01")]), self.mes)
        self.assertEqual(env["mfg.integration.xref"].browse(self.xref.id).external_id, "SUP-100")
        self.assertEqual(env["mfg.integration.value.map"].browse(self.value_map.id).line_count, 1)
        self.assertTrue(env["mfg.integration.message.log"].browse(self.log.id).status)
        # the engine works for every integration user
        self.assertEqual(
            env["mfg.integration.mapping"].resolve_record("MES-01", "partner", "SUP-100"),
            self.supplier,
        )
        with self.assertRaises(AccessError):
            env["mfg.integration.system"].create({"code": "X", "name": "X"})
        with self.assertRaises(AccessError):
            env["mfg.integration.xref"].browse(self.xref.id).write({"external_id": "SUP-101"})
        with self.assertRaises(AccessError):
            env["mfg.integration.value.map.line"].browse(self.value_map.line_ids.id).unlink()
        with self.assertRaises(AccessError):
            env["mfg.integration.object.type"].create({"code": "x", "name": "X"})
        with self.assertRaises(AccessError):
            env["mfg.integration.message.log"].browse(self.log.id).unlink()
        self.assertEqual(self.xref.external_id, "SUP-100")

    def test_consultant_configures(self):
        env = self.env(user=self.consultant)
        system = env["mfg.integration.system"].create({"code": "PLM-01", "name": "PLM"})
        xref = env["mfg.integration.xref"].create(
            {
                "system_id": system.id,
                "object_type_id": self.type_partner.id,
                "external_id": "P1",
                "res_id": self.supplier_2.id,
            }
        )
        xref.external_id = "P2"
        env["mfg.integration.value.map"].create({"system_id": system.id, "domain": "currency"})
        env["mfg.integration.object.type"].create({"code": "tool", "name": "Tool"})
        xref.unlink()
        # the log is evidence: managers may purge it but never rewrite it
        with self.assertRaises(AccessError):
            env["mfg.integration.message.log"].browse(self.log.id).write({"status": "failed"})
        with self.assertRaises(AccessError):
            env["mfg.integration.message.log"].create({"direction": "inbound", "status": "success"})
        env["mfg.integration.message.log"].browse(self.log.id).unlink()

    def test_user_without_group_sees_nothing(self):
        env = self.env(user=self.outsider)
        for model in (
            "mfg.integration.system",
            "mfg.integration.xref",
            "mfg.integration.value.map",
            "mfg.integration.message.log",
        ):
            with self.assertRaises(AccessError, msg=model):
                env[model].search([])
        menu = self.env.ref("mfg_integration_core.menu_mfg_integration_root")
        visible = self.env["ir.ui.menu"].with_user(self.outsider)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.planner)._visible_menu_ids())


class TestCompanyIsolation(MappingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.foreign_partner = cls.env["res.partner"].create(
            {"name": "Foreign Supplier", "company_id": cls.other_company.id}
        )
        cls.foreign_xref = cls._xref(cls.foreign_mes, cls.type_partner, "F-1", cls.foreign_partner)
        cls.foreign_map = cls._value_map(
            cls.foreign_mes, "currency", [("EUR", "euro", None, False)]
        )
        cls.foreign_log = cls.env["mfg.integration.message.log"]._log_exchange(
            {
                "direction": "inbound",
                "system_id": cls.foreign_mes.id,
                "status": "failed",
                "company_id": cls.other_company.id,
            }
        )
        cls.consultant = cls._user(
            "consultant_a", "base.group_user," + CORE_GROUP + "manager", cls.company
        )

    def test_other_company_records_are_invisible(self):
        env = self.env(user=self.consultant)
        for model, record in (
            ("mfg.integration.system", self.foreign_mes),
            ("mfg.integration.xref", self.foreign_xref),
            ("mfg.integration.value.map", self.foreign_map),
            ("mfg.integration.value.map.line", self.foreign_map.line_ids),
            ("mfg.integration.message.log", self.foreign_log),
        ):
            self.assertNotIn(record.id, env[model].search([]).ids, model)
            with self.assertRaises(AccessError, msg=model):
                env[model].browse(record.id).read(["id"])
        with self.assertRaises(AccessError):
            env["mfg.integration.xref"].browse(self.foreign_xref.id).write({"external_id": "F-2"})
        self.assertEqual(self.foreign_xref.external_id, "F-1")

    def test_user_of_both_companies_sees_both(self):
        both = self._user("consultant_ab", "base.group_user," + CORE_GROUP + "manager")
        both.company_ids = [(4, self.other_company.id)]
        env = self.env(
            user=both, context={"allowed_company_ids": [self.company.id, self.other_company.id]}
        )
        systems = env["mfg.integration.system"].search([])
        self.assertIn(self.foreign_mes, systems)
        self.assertIn(self.mes, systems)
