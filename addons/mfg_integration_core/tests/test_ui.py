from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIntegrationUi(HttpCase):
    def test_consultant_registers_a_system_in_the_browser(self):
        new_test_user(
            self.env,
            login="consultant",
            password="consultant-pass-1",
            groups="base.group_user,mfg_integration_core.group_integration_manager",
        )
        self.start_tour("/odoo", "mfg_integration_core_configure_system", login="consultant")
        system = self.env["mfg.integration.system"].search([("code", "=", "MES-02")])
        self.assertEqual(system.name, "Shop-floor MES, line 2")
        self.assertEqual(system.kind, "mes")
        self.assertEqual(system.create_uid.login, "consultant")
