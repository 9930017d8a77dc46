# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Governance",
    "summary": "API clients, hashed keys, scopes, four-eyes approval, rate limits, "
    "IP allow-lists and an append-only audit trail",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_core"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/scope_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "views/scope_views.xml",
        "views/api_key_views.xml",
        "views/api_client_change_views.xml",
        "views/api_client_views.xml",
        "views/audit_log_views.xml",
        "views/credential_refusal_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/api_key_reveal_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "mfg_integration_governance/static/src/tours/*.js",
        ],
    },
}
