# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Demo Plant",
    "summary": "A plant with MES, WMS and a supplier portal wired through the suite, for demos",
    "version": "18.0.1.1.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": [
        "mfg_integration_exception",
        "mfg_integration_mrp",
        "mfg_integration_webhook",
    ],
    "data": [
        "data/users_data.xml",
        "data/plant_data.xml",
        "data/integration_data.xml",
        "data/demo_functions.xml",
    ],
}
