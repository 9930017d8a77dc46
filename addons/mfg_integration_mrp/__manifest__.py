# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Workflows",
    "summary": "What each inbound message does to manufacturing orders, stock, purchases, "
    "quality holds and shipments, and which business changes emit which events",
    "version": "18.0.1.1.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_command", "mrp", "purchase_stock"],
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/object_type_data.xml",
        "data/scope_data.xml",
        "data/event_type_data.xml",
        "views/production_variance_views.xml",
        "views/stock_views.xml",
        "views/integration_system_views.xml",
        "views/res_config_settings_views.xml",
    ],
}
