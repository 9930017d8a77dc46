# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Webhooks",
    "summary": "Signed outbound webhooks (Standard Webhooks) through queue_job: retries with "
    "back-off, dead letters, circuit breaker, FIFO ordering, replay",
    "version": "18.0.1.1.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_core", "queue_job"],
    "external_dependencies": {"python": ["cryptography", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/queue_job_data.xml",
        "data/event_type_data.xml",
        "data/mail_activity_type_data.xml",
        "wizards/replay_views.xml",
        "views/delivery_views.xml",
        "views/endpoint_views.xml",
        "views/menus.xml",
    ],
}
