import random
from datetime import datetime, timedelta

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from .test_translation_files import GERMAN_ADDONS

# the hour judged by the anomaly detector: the last complete one before NOW
NOW = datetime(2026, 6, 15, 10, 20)
JUDGED = datetime(2026, 6, 15, 9, 0)


@tagged("post_install", "-at_install")
class TestGermanPlanner(TransactionCase):
    """A planner whose language is German sees the apps in German: what the
    web client loads (menus, views, field labels, the dashboards' own terms)
    and what the server writes (messages, errors, warnings)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("de_DE")
        cls.env["ir.module.module"]._load_module_terms(
            list(GERMAN_ADDONS), ["de_DE"], overwrite=True
        )
        cls.planner = new_test_user(
            cls.env,
            login="planer",
            groups="mfg_integration_core.group_integration_user",
            lang="de_DE",
        )
        # the context the web client sends for this user
        cls.german = cls.env(
            user=cls.planner, context=dict(cls.planner.with_user(cls.planner).context_get())
        )
        cls.system = cls.env["mfg.integration.system"].create(
            {"code": "MES-DE", "name": "Linie 1 MES", "kind": "mes"}
        )

    def menu_names(self):
        menus = self.german["ir.ui.menu"].load_menus(debug=False)
        return {menu["xmlid"]: menu["name"] for key, menu in menus.items() if key != "root"}

    def test_the_context_is_german(self):
        self.assertEqual(self.german.lang, "de_DE")

    def test_menus_are_german(self):
        names = self.menu_names()
        self.assertEqual(
            names["mfg_integration_exception.menu_mfg_integration_exception_root"],
            "Integrationsausnahmen",
        )
        self.assertEqual(
            names["mfg_integration_exception.menu_mfg_integration_exception_reporting"],
            "Berichtswesen",
        )
        self.assertEqual(names["mfg_integration_core.menu_mfg_integration_mapping"], "Zuordnung")
        self.assertEqual(
            names["mfg_integration_core.menu_mfg_integration_monitoring"], "Überwachung"
        )

    def test_field_labels_and_states_are_german(self):
        fields = self.german["mfg.integration.exception"].fields_get(
            ["user_id", "root_cause", "state", "sla_deadline"], ["string", "selection"]
        )
        self.assertEqual(fields["user_id"]["string"], "Zugewiesen an")
        self.assertEqual(fields["root_cause"]["string"], "Grundursache")
        self.assertEqual(fields["sla_deadline"]["string"], "SLA-Frist")
        self.assertEqual(dict(fields["state"]["selection"])["resolved"], "Gelöst")
        self.assertEqual(dict(fields["root_cause"]["selection"])["master_data"], "Stammdaten")
        xref = self.german["mfg.integration.xref"].fields_get(
            ["system_id", "object_type_id"], ["string"]
        )
        self.assertEqual(xref["object_type_id"]["string"], "Objekttyp")

    def test_the_exception_form_is_german(self):
        arch = self.german["mfg.integration.exception"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        form = etree.fromstring(arch)
        buttons = {button.get("name"): button.get("string") for button in form.iter("button")}
        self.assertEqual(buttons["action_take"], "Übernehmen")
        self.assertEqual(buttons["action_create_mapping"], "Zuordnung anlegen")
        self.assertEqual(buttons["action_retry"], "Erneut versuchen")
        self.assertIn("Vorgeschlagene Lösung", arch)

    def test_the_exception_overview_is_german(self):
        self.env["mfg.integration.incident"]._report(
            "other", "Unbekannter Code vom MES", key="de-test", system=self.system
        )
        data = self.german["mfg.integration.exception"].get_dashboard_data()
        labels = {kpi["key"]: kpi["label"] for kpi in data["kpis"]}
        self.assertEqual(labels["new_today"], "Heute neu")
        self.assertEqual(labels["overdue"], "Überfällig")
        self.assertEqual(labels["unassigned"], "Nicht zugewiesen")

    def test_exception_categories_are_german(self):
        self.env["mfg.integration.incident"]._report(
            "other", "Unbekannter Code vom MES", key="de-test", system=self.system
        )
        data = self.german["mfg.integration.exception"].get_dashboard_data()
        self.assertIn("Sonstiges", [row["label"] for row in data["by_category"]])

    def test_errors_are_german(self):
        exception = self.env["mfg.integration.incident"]._report(
            "other", "Testnachricht", key="de-closed", system=self.system
        )
        exception.write({"state": "ignored"})
        with self.assertRaisesRegex(
            UserError, "ist bereits abgeschlossen; öffnen Sie die Ausnahme zuerst erneut"
        ):
            exception.with_env(self.german).action_take()
        with self.assertRaisesRegex(UserError, "Unbekannter Zeitraum 1y"):
            self.german["mfg.integration.health"].get_health_data(period="1y")

    def test_the_dashboards_own_terms_are_german(self):
        # what /web/webclient/translations gives the OWL dashboards
        per_module, lang = self.german["ir.http"].get_translations_for_webclient(
            ["mfg_integration_exception", "mfg_integration_observability"], "de_DE"
        )
        self.assertEqual(lang["code"], "de_DE")
        terms = {
            module: {message["id"]: message["string"] for message in translations["messages"]}
            for module, translations in per_module.items()
        }
        self.assertEqual(
            terms["mfg_integration_observability"]["Integration Health"], "Integrationsstatus"
        )
        self.assertEqual(
            terms["mfg_integration_observability"]["Traffic of the connected systems"],
            "Datenverkehr der angebundenen Systeme",
        )
        self.assertEqual(
            terms["mfg_integration_exception"]["All open exceptions"], "Alle offenen Ausnahmen"
        )

    def test_a_traffic_warning_written_for_a_german_user_is_german(self):
        noise = random.Random(7)
        hours = [JUDGED] + [JUDGED - timedelta(days=day) for day in range(1, 15)]
        self.env["mfg.integration.hourly.stat"].create(
            [
                {
                    "hour": hour,
                    "scope": "system",
                    "direction": "inbound",
                    "system_id": self.system.id,
                    "company_id": self.system.company_id.id,
                    # a burst in the judged hour, a plant's ordinary traffic before
                    "message_count": 400 if hour == JUDGED else 100 + noise.randint(-12, 12),
                    "error_count": noise.randint(0, 4),
                }
                for hour in hours
            ]
        )
        self.german["mfg.integration.anomaly"].sudo()._detect(now=NOW)
        warnings = self.german["mfg.integration.health"].get_health_data()["warnings"]
        warning = next(w for w in warnings if w["kind"] == "anomaly")
        self.assertIn(
            "MES-DE: 400 Nachrichten in der Stunde ab 2026-06-15 09:00 UTC", warning["summary"]
        )
        self.assertIn("weit mehr als üblich", warning["summary"])
        self.assertIn("Basislinie: dieselbe Stunde der letzten 14 Tage", warning["reason"])
