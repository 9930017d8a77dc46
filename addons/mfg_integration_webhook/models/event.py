from odoo import api, models


class MfgIntegrationEvent(models.Model):
    _inherit = "mfg.integration.event"

    @api.model
    def _on_events_emitted(self, events):
        """One delivery per matching endpoint, in the event's own transaction."""
        result = super()._on_events_emitted(events)
        endpoints = (
            self.env["mfg.integration.webhook.endpoint"]
            .sudo()
            .search([("state", "in", ("active", "paused"))])
        )
        values = [
            {"event_id": event.id, "endpoint_id": endpoint.id}
            for event in events
            for endpoint in endpoints
            if endpoint._matches(event)
        ]
        if values:
            deliveries = self.env["mfg.integration.webhook.delivery"].sudo().create(values)
            deliveries.endpoint_id._schedule_drain()
        return result
