"""Jobs keep the trace that enqueued them: the job runner starts a job in
another request, long after, so the trace is stored with the job. A job's
next round, enqueued by the job itself, starts a trace of its own."""

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
            running = tracing.current_job_function()
            for vals in vals_list:
                # a job's next round, enqueued by the job itself (a drain that
                # comes back for what is left or when a retry is due), starts a
                # trace of its own: in the first round's trace each round would
                # nest one level deeper, for as long as the rounds go on
                if running == f"{vals.get('model_name')}.{vals.get('method_name')}":
                    continue
                vals.setdefault("mfg_traceparent", traceparent)
        return super().create(vals_list)
