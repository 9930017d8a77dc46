from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.mfg_integration_core.models.outbox_sink import type_matches


class MfgIntegrationWebhookReplay(models.TransientModel):
    """Send every event of some types in a time window to an endpoint again."""

    _name = "mfg.integration.webhook.replay"
    _description = "Replay Events"

    endpoint_id = fields.Many2one("mfg.integration.webhook.endpoint", required=True)
    event_types = fields.Char(
        default="*", required=True, help="Comma-separated, wildcards allowed."
    )
    date_from = fields.Datetime(required=True)
    date_to = fields.Datetime(required=True, default=fields.Datetime.now)

    def action_replay(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(_("The window starts after it ends."))
        events = (
            self.env["mfg.integration.event"]
            .sudo()
            .search(
                [
                    ("time", ">=", self.date_from),
                    ("time", "<=", self.date_to),
                    ("company_id", "=", self.endpoint_id.company_id.id),
                ]
            )
        )
        events = events.filtered(lambda e: type_matches(e.type, self.event_types))
        self.endpoint_id._replay_events(events)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "info", "message": _("%s events queued again.", len(events))},
        }
