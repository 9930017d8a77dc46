from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mfg_api_max_payload_bytes = fields.Integer(
        string="Largest Request Body (bytes)",
        config_parameter="mfg_integration.api_max_payload_bytes",
        default=5 * 1024 * 1024,
    )
    mfg_api_max_batch_items = fields.Integer(
        string="Largest Batch (items)",
        config_parameter="mfg_integration.api_max_batch_items",
        default=1000,
    )
    mfg_api_max_backlog = fields.Integer(
        string="Batches Waiting Before Refusal",
        config_parameter="mfg_integration.api_max_backlog",
        default=50,
    )
    mfg_api_idempotency_hours = fields.Integer(
        string="Idempotency Key Lifetime (hours)",
        config_parameter="mfg_integration.api_idempotency_hours",
        default=24,
    )
    mfg_api_request_retention_days = fields.Integer(
        string="Asynchronous Request Retention (days)",
        config_parameter="mfg_integration.api_request_retention_days",
        default=30,
        help="Finished asynchronous requests and their items older than this are purged. "
        "0 keeps them all.",
    )
