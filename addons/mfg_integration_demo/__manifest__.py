# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Demo Plant",
    "summary": "A plant with two MES lines (REST and RabbitMQ), a WMS, a supplier portal and an "
    "analytics subscriber wired through the suite, for demos",
    "version": "18.0.1.1.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": [
        "mfg_integration_api",
        "mfg_integration_broker",
        "mfg_integration_exception",
        "mfg_integration_maintenance",
        "mfg_integration_masterdata",
        "mfg_integration_mqtt",
        "mfg_integration_mrp",
        "mfg_integration_observability",
        "mfg_integration_sync",
        "mfg_integration_webhook",
    ],
    "data": [
        "data/users_data.xml",
        "data/plant_data.xml",
        "data/integration_data.xml",
        "data/broker_data.xml",
        "data/iiot_data.xml",
        "data/demo_functions.xml",
        "data/sync_data.xml",
        "data/plm_data.xml",
    ],
}
