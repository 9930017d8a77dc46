import { registry } from "@web/core/registry";

const openApiClients = [
    { content: "Open the apps menu", trigger: ".o_navbar_apps_menu button", run: "click" },
    {
        content: "Open the Integration app",
        trigger: '.o_app[data-menu-xmlid="mfg_integration_core.menu_mfg_integration_root"]',
        run: "click",
    },
    {
        content: "Open Governance",
        trigger: '[data-menu-xmlid="mfg_integration_governance.menu_mfg_integration_governance"]',
        run: "click",
    },
    {
        content: "Open API Clients",
        trigger: '[data-menu-xmlid="mfg_integration_governance.menu_mfg_integration_client"]',
        run: "click",
    },
];

// A consultant registers a client and submits it for approval.
registry.category("web_tour.tours").add("mfg_integration_governance_request_client", {
    url: "/odoo",
    steps: () => [
        ...openApiClients,
        { content: "Create a client", trigger: ".o-kanban-button-new", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit Supplier portal ACME" },
        { trigger: ".o_field_widget[name=scope_ids] input", run: "edit mapping:read" },
        {
            content: "Pick the scope",
            trigger: ".o-autocomplete--dropdown-item:contains('mapping:read')",
            run: "click",
        },
        { content: "Submit", trigger: "button[name=action_submit]", run: "click" },
        { content: "Submitted", trigger: ".o_arrow_button_current:contains('Submitted')" },
    ],
});

// Another manager approves it and issues its key, shown once.
registry.category("web_tour.tours").add("mfg_integration_governance_approve_and_issue", {
    url: "/odoo",
    steps: () => [
        ...openApiClients,
        {
            content: "Open the submitted client",
            trigger: ".o_kanban_record:contains('Supplier portal ACME')",
            run: "click",
        },
        { content: "Approve", trigger: "button[name=action_approve]", run: "click" },
        { content: "Approved", trigger: ".o_arrow_button_current:contains('Approved')" },
        { content: "Issue a key", trigger: "button[name=action_issue_key]", run: "click" },
        {
            content: "The key is shown once",
            trigger: ".modal .o_mfg_api_key_secret:contains('mfgk_')",
        },
        {
            content: "Close the dialog",
            trigger: ".modal-footer button:contains('I have copied the key')",
            run: "click",
        },
        { content: "Back on the client", trigger: "body:not(:has(.modal)) .o_form_view" },
    ],
});
