# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Core",
    "summary": "Connected systems, identifier cross-references, value maps, "
    "the mapping engine and the integration message log",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["mail", "queue_job"],
    "external_dependencies": {"python": ["jsonschema", "fastjsonschema", "cryptography"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/object_type_data.xml",
        "data/ir_cron_data.xml",
        "data/outbox_data.xml",
        "views/integration_system_views.xml",
        "views/object_type_views.xml",
        "views/xref_views.xml",
        "views/link_views.xml",
        "views/value_map_views.xml",
        "views/message_log_views.xml",
        "views/event_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "mfg_integration_core/static/src/tours/*.js",
        ],
    },
}
