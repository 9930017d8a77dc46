import { registry } from "@web/core/registry";

// A planner working in German opens the exception app and the Integration
// Health dashboard: menus, OWL templates, JavaScript terms, list columns,
// form buttons and the server's labels all read in German.
registry.category("web_tour.tours").add("test_mfg_integration_i18n_german_planner", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "The exception app has its German name",
            trigger:
                ".o_app[data-menu-xmlid='mfg_integration_exception.menu_mfg_integration_exception_root']:contains('Integrationsausnahmen')",
            run: "click",
        },
        {
            content: "The overview's template is German",
            trigger: ".o_mfg_exception_dashboard .card-header:contains('Offen nach Kategorie')",
        },
        {
            content: "and so are its JavaScript terms",
            trigger: ".o_mfg_exception_dashboard p:contains('Innerhalb der SLA abgeschlossen:'):contains('noch keine abgeschlossenen Ausnahmen')",
        },
        {
            content: "and its buttons",
            trigger: ".o_mfg_exception_all:contains('Alle offenen Ausnahmen')",
        },
        {
            content: "List today's new exceptions, a tile the server labels",
            trigger: ".o_mfg_kpi_new_today:contains('Heute neu')",
            run: "click",
        },
        {
            content: "The list's columns are German",
            trigger: ".o_list_view th[data-name='user_id']:contains('Zugewiesen an')",
        },
        {
            content: "Open the exception",
            trigger: ".o_data_row td[name='name']:contains('Unbekannter Code vom MES')",
            run: "click",
        },
        {
            content: "Its buttons are German",
            trigger: ".o_form_view button[name='action_take']:contains('Übernehmen')",
        },
        {
            content: "and its state",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Neu')",
        },
        {
            content: "Open the apps menu again",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Integration app",
            trigger: ".o_app[data-menu-xmlid='mfg_integration_core.menu_mfg_integration_root']",
            run: "click",
        },
        {
            content: "Integration Health is German",
            trigger: ".o_mfg_health_dashboard h2:contains('Integrationsstatus')",
        },
        {
            content: "its tables too",
            trigger: ".o_mfg_health_dashboard .card-header:contains('Datenverkehr der angebundenen Systeme')",
        },
        {
            content: "and the menus of the app",
            trigger: ".o_menu_sections button:contains('Überwachung')",
        },
    ],
});
