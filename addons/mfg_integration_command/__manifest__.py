# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Commands",
    "summary": "The transport-neutral command pipeline: JSON Schema validation, "
    "idempotency, typed problems, asynchronous batches",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_governance", "queue_job"],
    "external_dependencies": {"python": ["jsonschema"]},
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/queue_job_data.xml",
        "views/api_request_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "pre_init_hook": "pre_init_hook",
}
