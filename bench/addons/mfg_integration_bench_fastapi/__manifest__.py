# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Manufacturing Integration Benchmarks: the OCA FastAPI peer",
    "summary": "A FastAPI app with an API key: the trivial action and the production "
    "confirmation that bench/run measures next to the suite's route",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "Manufacturing Integration Suite contributors",
    "license": "AGPL-3",
    "installable": True,
    # AGPL-3 like fastapi_auth_api_key, which it builds on
    "depends": ["fastapi_auth_api_key", "mrp"],
    "external_dependencies": {"python": ["fastapi", "pydantic"]},
    "data": ["data/fastapi_endpoint_data.xml"],
    "post_init_hook": "post_init_hook",
}
