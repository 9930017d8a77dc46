# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Observability Tests",
    "summary": "A command that emits an event, to trace a request across every hop",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": [
        "mfg_integration_observability",
        "mfg_integration_webhook",
        "test_mfg_integration_broker",
        "test_mfg_integration_command",
    ],
    "data": ["data/event_type_data.xml"],
}
