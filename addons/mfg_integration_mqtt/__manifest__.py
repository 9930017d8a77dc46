# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration MQTT",
    "summary": "MQTT 5 as a transport: topic subscriptions per connected system run "
    "machine messages through the command pipeline, telemetry summed per window",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_command"],
    "external_dependencies": {"python": ["paho-mqtt", "pysparkplug"]},
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "views/broker_views.xml",
        "views/subscription_views.xml",
        "views/refused_message_views.xml",
        "views/menus.xml",
    ],
}
