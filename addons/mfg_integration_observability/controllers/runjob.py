"""The job runner's entry point, traced: each job is a span that continues the
trace stored with it (``queue.job.mfg_traceparent``)."""

from odoo.addons.queue_job.controllers.main import RunJobController

from .. import tracing


class TracedRunJobController(RunJobController):
    def _try_perform_job(self, env, job):
        if tracing.tracer() is None:
            return super()._try_perform_job(env, job)
        attributes = {
            "messaging.system": "queue_job",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": job.channel,
            "messaging.message.id": job.uuid,
            # the queue is a PostgreSQL table
            "db.system": "postgresql",
            "code.function": f"{job.model_name}.{job.method_name}",
            "mfg.job.attempt": job.retry + 1,
        }
        with env["mfg.integration.telemetry"]._span(
            f"process {job.model_name}.{job.method_name}",
            kind="consumer",
            traceparent=job.db_record().mfg_traceparent,
            attributes=attributes,
        ):
            return super()._try_perform_job(env, job)
