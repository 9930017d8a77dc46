# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Integration Exceptions Tests with the Whole Suite",
    "summary": "Tests of the exception app with the sources that need manufacturing, "
    "stock, purchases, the REST transport or webhooks",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": [
        "mfg_integration_exception",
        "mfg_integration_api",
        "mfg_integration_mrp",
        "mfg_integration_webhook",
    ],
}
