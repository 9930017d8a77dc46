"""The incident service of core, extended: a report opens (or counts) an
exception that a planner owns, and a settled source resolves what it caused.

The app knows no source: each addon reports its own failures to
``mfg.integration.incident`` and declares its categories there.
"""

from odoo import api, models


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    @api.model
    def _report(self, category, summary, key, **kwargs):
        super()._report(category, summary, key, **kwargs)
        return self.env["mfg.integration.exception"]._record_incident(
            category, summary, key, **kwargs
        )

    @api.model
    def _source_settled(self, sources):
        super()._source_settled(sources)
        if sources:
            self.env["mfg.integration.exception"]._settle_sources(sources)
        return None
