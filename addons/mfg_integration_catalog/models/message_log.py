import json

from odoo import api, models

from ..classification import redact_pointers

PAYLOAD_FIELDS = ("request_payload", "response_payload")


class MfgIntegrationMessageLog(models.Model):
    _inherit = "mfg.integration.message.log"

    @api.model
    def _prepare_log_values(self, values, record=None, max_bytes=None):
        """A restricted interface's exchange is logged without its payloads
        (metadata only); a confidential one's with the values at its JSON
        pointers masked (``mfg_log_classification`` in the context)."""
        classification = self.env.context.get("mfg_log_classification")
        if classification:
            level, pointers = classification
            values = dict(values)
            for name in PAYLOAD_FIELDS:
                if values.get(name) is None:
                    continue
                if level == "restricted":
                    values[name] = None
                else:
                    values[name] = self._redacted_payload(values[name], pointers)
        return super()._prepare_log_values(values, record=record, max_bytes=max_bytes)

    @api.model
    def _redacted_payload(self, payload, pointers):
        if isinstance(payload, bytes | str):
            try:
                payload = json.loads(payload)
            except ValueError:
                # not JSON: no pointer can name a part of it, keep none of it
                return None
        return redact_pointers(payload, pointers)
