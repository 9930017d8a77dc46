# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Broker Tests",
    "summary": "Tests of the broker sink and the command queues against a real RabbitMQ, "
    "with the test event type and the test commands",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": [
        "mfg_integration_broker",
        "mfg_integration_exception",
        "test_mfg_integration_command",
        "test_mfg_integration_outbox",
    ],
}
