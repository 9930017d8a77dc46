import { registry } from "@web/core/registry";

// An integration manager opens the Integration app on its health and follows
// a system's message count to the messages it counts.
registry.category("web_tour.tours").add("mfg_integration_health_dashboard", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Integration app",
            trigger: ".o_app[data-menu-xmlid='mfg_integration_core.menu_mfg_integration_root']",
            run: "click",
        },
        {
            content: "The app opens on its health: the last 24 hours",
            trigger: ".o_mfg_health_dashboard .o_mfg_health_period_24h.btn-primary",
        },
        {
            content: "Show the last 7 days",
            trigger: ".o_mfg_health_period_7d",
            run: "click",
        },
        {
            content: "The tour's system had 3 errors two days ago",
            trigger: ".o_mfg_health_system_row[data-system*='HLT-TOUR'] .o_mfg_health_errors:contains('3')",
        },
        {
            content: "Click the error count",
            trigger: ".o_mfg_health_system_row[data-system*='HLT-TOUR'] .o_mfg_health_errors",
            run: "click",
        },
        {
            content: "The message log opens on exactly those messages",
            trigger: ".o_list_view .o_data_row:nth-child(3)",
        },
        {
            content: "and no more",
            trigger: ".o_list_view:not(:has(.o_data_row:nth-child(4)))",
        },
        {
            content: "They are the failed ones",
            trigger: ".o_list_view .o_data_row td[name='status']:contains('Failed')",
        },
    ],
});
