# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Integration Exceptions",
    "summary": "Planners see, own and resolve every integration and workflow exception",
    "version": "18.0.1.1.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["mfg_integration_core", "queue_job", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/exception_rule_data.xml",
        "data/cron_data.xml",
        "data/pattern_data.xml",
        "views/exception_views.xml",
        "views/exception_rule_views.xml",
        "views/exception_team_views.xml",
        "views/exception_pattern_views.xml",
        "views/wizard_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "mfg_integration_exception/static/src/dashboard/*",
        ],
        "web.assets_tests": [
            "mfg_integration_exception/static/src/tours/*.js",
        ],
    },
}
