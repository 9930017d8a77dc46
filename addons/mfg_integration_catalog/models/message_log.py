import json

from odoo import api, fields, models

from ..classification import redact_pointers

PAYLOAD_FIELDS = ("request_payload", "response_payload")


class MfgIntegrationMessageLog(models.Model):
    _inherit = "mfg.integration.message.log"

    command_name = fields.Char(string="Command", index=True, readonly=True)
    interface_id = fields.Many2one(
        "mfg.integration.interface", index=True, readonly=True, ondelete="set null"
    )

    @api.model
    def _prepare_log_values(self, values, record=None, max_bytes=None):
        """A command's row names the command and its interface; a restricted
        interface's exchange is logged without its payloads (metadata only), a
        confidential one's with the values at its JSON pointers masked
        (``mfg_catalog`` in the context: the command's CatalogPolicy)."""
        catalog = self.env.context.get("mfg_catalog")
        if not catalog:
            return super()._prepare_log_values(values, record=record, max_bytes=max_bytes)
        policy = catalog.interface
        values = dict(
            values,
            command_name=catalog.label,
            interface_id=policy.interface_id if policy else False,
        )
        if policy and policy.classification in ("restricted", "confidential"):
            level, pointers = policy.classification, policy.pointers
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
