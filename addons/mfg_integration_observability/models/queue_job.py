"""Jobs keep the trace that enqueued them: the job runner starts a job in
another request, long after, so the trace is stored with the job."""

from odoo import api, fields, models

from .. import tracing


class QueueJob(models.Model):
    _inherit = "queue.job"

    mfg_traceparent = fields.Char(
        string="Trace Parent",
        readonly=True,
        help="W3C traceparent of the span that enqueued the job; the job's span continues it.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        traceparent = tracing.current_traceparent()
        if traceparent:
            for vals in vals_list:
                vals.setdefault("mfg_traceparent", traceparent)
        return super().create(vals_list)
