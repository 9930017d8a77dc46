import { registry } from "@web/core/registry";

// A consultant registers a connected system from the Integration app.
registry.category("web_tour.tours").add("mfg_integration_core_configure_system", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Integration app",
            trigger: '.o_app[data-menu-xmlid="mfg_integration_core.menu_mfg_integration_root"]',
            run: "click",
        },
        {
            content: "Open Configuration",
            trigger: '[data-menu-xmlid="mfg_integration_core.menu_mfg_integration_config"]',
            run: "click",
        },
        {
            content: "Open Connected Systems",
            trigger: '[data-menu-xmlid="mfg_integration_core.menu_mfg_integration_system"]',
            run: "click",
        },
        {
            content: "Create a system",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Shop-floor MES, line 2",
        },
        {
            trigger: ".o_field_widget[name=code] input",
            run: "edit MES-02",
        },
        {
            trigger: ".o_field_widget[name=kind] select",
            run: 'select "mes"',
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the breadcrumb shows the new system",
            trigger: ".o_breadcrumb:contains('[MES-02] Shop-floor MES, line 2')",
        },
    ],
});
