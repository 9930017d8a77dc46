import { registry } from "@web/core/registry";

// A planner opens the app, finds the unmapped-code exception, adds the mapping
// from it, retries, and sees it resolved. The same steps for the code of a
// value map on any model: the sender's code and the name of the Odoo record
// the planner maps it to.
const resolveUnmappedCodeSteps = (code, record) => [
    {
        content: "Open the apps menu",
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
        content: "The overview counts one open exception",
        trigger: ".o_mfg_kpi_open .display-6:contains(1)",
    },
    {
        content: "Open the unmapped codes",
        trigger: ".o_mfg_category[data-label='Unmapped code']",
        run: "click",
    },
    {
        content: "Open the exception",
        trigger: `.o_data_row td[name=name]:contains('${code}')`,
        run: "click",
    },
    {
        content: "It says what to map, with the unmapped value",
        trigger: `.o_field_widget[name=mapping_value]:contains(${code})`,
    },
    {
        content: "Create the mapping from the exception",
        trigger: "button[name=action_create_mapping]",
        run: "click",
    },
    {
        content: "The dialog is pre-filled with the value map and the code",
        trigger: `.modal .o_field_widget[name=external_code]:contains(${code})`,
    },
    {
        content: "Choose the Odoo record",
        trigger: ".modal .o_field_widget[name=res_id] input",
        run: `edit ${record}`,
    },
    {
        trigger: `.o-autocomplete--dropdown-item a:contains(${record})`,
        run: "click",
    },
    {
        content: "Create and retry",
        trigger: ".modal button[name=action_create_and_retry]",
        run: "click",
    },
    {
        content: "The retry applied the message: the exception is resolved",
        trigger: ".o_form_view .o_field_widget[name=state] .o_arrow_button_current:contains(Resolved)",
    },
    {
        content: "The chatter says so",
        trigger: ".o-mail-Message-body:contains('The retry succeeded')",
    },
];

// A stock count in an unmapped unit, mapped to Units (the whole suite's tests,
// test_mfg_integration_exception).
registry.category("web_tour.tours").add("mfg_integration_exception_resolve_unmapped_unit", {
    url: "/odoo",
    steps: () => resolveUnmappedCodeSteps("LBR", "Units"),
});

// A cash count in an unmapped currency code, mapped to USD (the app's own tests,
// on a database without units of measure).
registry.category("web_tour.tours").add("mfg_integration_exception_resolve_unmapped_currency", {
    url: "/odoo",
    steps: () => resolveUnmappedCodeSteps("DOL", "USD"),
});
