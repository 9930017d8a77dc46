import { registry } from "@web/core/registry";

// An integration manager opens the Integration app on its health and follows
// a system's message count to the messages it counts.
registry.category("web_tour.tours").add("mfg_integration_health_dashboard", {
    url: "/odoo/action-mfg_integration_observability.mfg_integration_health_action",
    steps: () => [
        {
            content: "The dashboard lists the tour's system",
            trigger: ".o_mfg_health_system_row[data-system*='HLT-TOUR']",
        },
        {
            content: "Show the last 7 days",
            trigger: ".o_mfg_health_period_7d",
            run: "click",
        },
        {
            content: "Open the errors the system's row counts",
            trigger: ".o_mfg_health_period_7d.btn-primary",
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
