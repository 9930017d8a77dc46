# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Master Data",
    "summary": "PLM items with revisions, BoM revisions with effective dates, work centers "
    "and supplier terms as commands, with release events",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_command", "mfg_integration_mrp", "mrp", "purchase_stock"],
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/object_type_data.xml",
        "data/scope_data.xml",
        "data/event_type_data.xml",
        "data/ir_cron_data.xml",
        "views/item_revision_views.xml",
        "views/product_views.xml",
        "views/mrp_bom_views.xml",
        "views/mapping_template_views.xml",
        "views/menus.xml",
    ],
}
