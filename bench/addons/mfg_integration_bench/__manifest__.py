# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Benchmarks",
    "summary": "A trivial API route, a bare controller and an event type, for bench/run only",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_api"],
    "data": ["data/event_type_data.xml"],
}
