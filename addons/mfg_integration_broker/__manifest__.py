# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Broker",
    "summary": "RabbitMQ as a transport: business events published to exchanges from the "
    "outbox with publisher confirms (CloudEvents binding), and commands consumed from "
    "queues through the same pipeline as the REST API",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_command", "queue_job"],
    "external_dependencies": {"python": ["pika", "cryptography"]},
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/queue_job_data.xml",
        "views/connection_views.xml",
        "views/sink_views.xml",
        "views/delivery_views.xml",
        "views/queue_views.xml",
        "views/message_views.xml",
        "views/menus.xml",
    ],
}
