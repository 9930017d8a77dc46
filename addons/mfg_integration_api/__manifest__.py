# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration REST API",
    "summary": "The REST transport of the command pipeline under /api/mfg/v1: routes, "
    "problem documents, OpenAPI 3.1 and its contract checker",
    "version": "18.0.2.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_command"],
    "external_dependencies": {"python": ["jsonschema", "referencing"]},
}
