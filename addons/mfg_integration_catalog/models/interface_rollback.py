from odoo import fields, models


class MfgIntegrationInterfaceRollback(models.TransientModel):
    _name = "mfg.integration.interface.rollback"
    _description = "Roll Back an Interface"

    interface_id = fields.Many2one("mfg.integration.interface", required=True, readonly=True)
    mode = fields.Selection(related="interface_id.mode", string="Current Mode")
    previous_mode = fields.Selection(related="interface_id.previous_mode", string="Back To")
    reason = fields.Text(
        required=True,
        help="Kept in the chatter, the audit trail and the " "activities of the people notified.",
    )

    def action_confirm(self):
        self.ensure_one()
        self.interface_id._rollback(self.reason)
        return {"type": "ir.actions.act_window_close"}
