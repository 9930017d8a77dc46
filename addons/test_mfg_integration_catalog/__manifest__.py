# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Catalog Tests",
    "summary": "Tests of the interface catalog on the manufacturing commands, over real "
    "HTTP with real API keys and through a broker command queue",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": [
        "mfg_integration_catalog",
        "mfg_integration_api",
        "mfg_integration_broker",
        "mfg_integration_mrp",
    ],
}
