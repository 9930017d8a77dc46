# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Tests of the Manufacturing Integration Command Pipeline",
    "summary": "A dummy command, in two versions, to test the pipeline itself",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_api"],
    "data": ["security/ir.model.access.csv"],
}
