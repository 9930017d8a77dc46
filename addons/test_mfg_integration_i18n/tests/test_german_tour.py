from odoo.tests import HttpCase, new_test_user, tagged

from .test_translation_files import GERMAN_ADDONS


@tagged("post_install", "-at_install")
class TestGermanPlannerTour(HttpCase):
    def test_a_german_planner_sees_the_apps_in_german(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(
            list(GERMAN_ADDONS), ["de_DE"], overwrite=True
        )
        new_test_user(
            self.env,
            login="planer_ui",
            password="planer-ui-1",
            groups="mfg_integration_core.group_integration_user",
            lang="de_DE",
        )
        system = self.env["mfg.integration.system"].create(
            {"code": "MES-DE", "name": "Linie 1 MES", "kind": "mes"}
        )
        self.env["mfg.integration.incident"]._report(
            "other", "Unbekannter Code vom MES", key="de-tour", system=system
        )
        self.start_tour("/odoo", "test_mfg_integration_i18n_german_planner", login="planer_ui")
