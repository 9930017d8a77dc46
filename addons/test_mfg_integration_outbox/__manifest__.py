# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Outbox Tests",
    "summary": "Test-only sink kinds that exercise the outbox's shared delivery machinery",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_core"],
    "data": [
        "security/ir.model.access.csv",
        "data/event_type_data.xml",
    ],
}
