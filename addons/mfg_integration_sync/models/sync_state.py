"""What a sync job last applied per record key: the source's timestamp and
the value Odoo took, so that an older change is refused and a change on
both sides is seen."""

from odoo import api, fields, models


class MfgIntegrationSyncState(models.Model):
    _name = "mfg.integration.sync.state"
    _description = "Batch Sync Record State"
    _order = "job_id, key"

    job_id = fields.Many2one(
        "mfg.integration.sync.job", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="job_id.company_id", store=True, index=True)
    key = fields.Char(
        required=True, readonly=True, help="Product|location|lot in the system's ids."
    )
    source_updated_at = fields.Datetime(string="Source Updated At", required=True, readonly=True)
    applied_quantity = fields.Float(
        digits="Product Unit of Measure",
        readonly=True,
        help="The quantity Odoo took from the system then (in the product's unit).",
    )

    _sql_constraints = [
        ("job_key_unique", "UNIQUE(job_id, key)", "One state per record key and sync job."),
    ]

    @api.model
    def _remember(self, job, key, source_updated_at, quantity):
        state = self.search([("job_id", "=", job.id), ("key", "=", key)])
        values = {"source_updated_at": source_updated_at, "applied_quantity": quantity}
        if state:
            state.write(values)
        else:
            self.create({"job_id": job.id, "key": key, **values})
