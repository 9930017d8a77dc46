# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration MQTT Tests",
    "summary": "Tests of the MQTT transport's subscriptions with the equipment commands: "
    "windows of summed counters, redelivered messages, refused messages and their exceptions",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": [
        "mfg_integration_mqtt",
        "mfg_integration_maintenance",
        "mfg_integration_exception",
        "mfg_integration_api",
        "mfg_integration_observability",
    ],
}
