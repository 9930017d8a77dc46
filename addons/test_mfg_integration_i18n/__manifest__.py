# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Translation Tests",
    "summary": "Checks that every addon's translation template is current and the German "
    "translation complete, and shows the apps to a German planner",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": [
        "mfg_integration_exception",
        "mfg_integration_governance",
        "mfg_integration_observability",
    ],
    "assets": {
        "web.assets_tests": [
            "test_mfg_integration_i18n/static/tests/tours/*.js",
        ],
    },
}
