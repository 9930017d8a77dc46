# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Manufacturing Integration Batch Sync",
    "summary": "Scheduled pulls from a system's REST endpoint, page by page with a committed "
    "cursor, each record run through the same commands as a real-time message; source "
    "timestamps decide, and a record changed on both sides is a conflict for a person",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_mrp", "mfg_integration_exception", "queue_job"],
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/queue_job_data.xml",
        "data/cron_data.xml",
        "views/sync_run_views.xml",
        "views/sync_job_views.xml",
        "views/sync_issue_views.xml",
        "views/recon_views.xml",
        "views/menus.xml",
    ],
}
