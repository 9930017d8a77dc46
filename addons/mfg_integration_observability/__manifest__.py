# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Integration Observability",
    "summary": "Prometheus metrics, OpenTelemetry traces, the Integration Health "
    "dashboard and early warnings for the integration suite",
    "version": "18.0.1.1.0",
    "category": "Manufacturing/Integration",
    "author": "Manufacturing Integration Suite contributors",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["mfg_integration_core", "queue_job"],
    "external_dependencies": {
        "python": [
            "prometheus_client",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
        ]
    },
    "data": [
        "security/ir.model.access.csv",
        "views/queue_job_views.xml",
        "views/res_config_settings_views.xml",
        "security/security.xml",
        "data/cron_data.xml",
        "views/health_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "mfg_integration_observability/static/src/health/*",
        ],
        "web.assets_tests": [
            "mfg_integration_observability/static/src/tours/*.js",
        ],
    },
    # chooses the metrics directory before the workers fork (server-wide load)
    "post_load": "post_load",
}
