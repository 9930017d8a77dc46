import { registry } from "@web/core/registry";

// A planner opens the recurring root causes, finds the unmapped units of several
// systems under one pattern with the resolution that worked, lists its
// exceptions and sees the open one suggest that resolution.
registry.category("web_tour.tours").add("mfg_integration_exception_recurring_root_cause", {
    url: "/odoo",
    steps: () => [
        {
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Integration Exceptions app",
            trigger:
                '.o_app[data-menu-xmlid="mfg_integration_exception.menu_mfg_integration_exception_root"]',
            run: "click",
        },
        {
            content: "Open Reporting",
            trigger:
                '.o_menu_sections button[data-menu-xmlid="mfg_integration_exception.menu_mfg_integration_exception_reporting"]',
            run: "click",
        },
        {
            content: "Open the recurring root causes",
            trigger:
                '.o-dropdown-item[data-menu-xmlid="mfg_integration_exception.menu_mfg_integration_exception_pattern"]',
            run: "click",
        },
        {
            content: "Three unmapped units of two systems share one pattern",
            trigger:
                ".o_data_row:has(td[name=name]:contains('which has no mapping in value map')) td[name=exception_count]:contains(3)",
        },
        {
            content: "Open the pattern",
            trigger: ".o_data_row td[name=name]:contains('which has no mapping in value map')",
            run: "click",
        },
        {
            content: "The resolution that worked is shown",
            trigger: ".o_field_widget[name=resolution_summary]:contains('Added the unit to the value map')",
        },
        {
            content: "List the pattern's exceptions",
            trigger: "button[name=action_open_exceptions]",
            run: "click",
        },
        {
            content: "Open the exception still open",
            trigger: ".o_data_row td[name=name]:contains('STK')",
            run: "click",
        },
        {
            content: "It suggests the resolution of the same pattern, saying so",
            trigger: ".o_field_widget[name=suggestion]:contains('same pattern'):contains('Added the unit to the value map')",
        },
        {
            content: "Its smart button counts the exceptions of the pattern",
            trigger: "button[name=action_open_pattern_exceptions] .o_stat_value:contains(3)",
        },
    ],
});
