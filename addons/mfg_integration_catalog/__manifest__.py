# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Catalog",
    "summary": "Business interfaces (process, owner, criticality, classification, "
    "migration wave and coexistence mode), shadow runs, retirement and API versions "
    "with deprecation and sunset",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_command", "mail"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/interface_data.xml",
        "data/cron_data.xml",
        "views/interface_views.xml",
        "views/interface_member_views.xml",
        "views/shadow_run_views.xml",
        "views/api_version_views.xml",
        "views/catalog_change_views.xml",
        "views/menus.xml",
    ],
}
