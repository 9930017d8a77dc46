# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Maintenance",
    "summary": "Machine states, alarms and counters as commands: maintenance requests, "
    "work-center productivity (OEE) and blocked work orders",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_command", "mfg_integration_mrp", "maintenance", "mrp"],
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/object_type_data.xml",
        "data/scope_data.xml",
        "data/event_type_data.xml",
        "views/maintenance_rule_views.xml",
        "views/equipment_count_views.xml",
        "views/maintenance_equipment_views.xml",
        "views/maintenance_request_views.xml",
        "views/menus.xml",
    ],
}
