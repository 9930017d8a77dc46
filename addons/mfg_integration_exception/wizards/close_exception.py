from odoo import fields, models

from ..models.exception import ROOT_CAUSES


class MfgIntegrationExceptionClose(models.TransientModel):
    """Resolve or ignore one or many exceptions with the note that says why."""

    _name = "mfg.integration.exception.close"
    _description = "Resolve or Ignore Exceptions"

    exception_ids = fields.Many2many("mfg.integration.exception", required=True)
    mode = fields.Selection([("resolve", "Resolve"), ("ignore", "Ignore")], required=True)
    note = fields.Text(required=True)
    root_cause = fields.Selection(ROOT_CAUSES)

    def action_confirm(self):
        self.ensure_one()
        if self.mode == "resolve":
            self.exception_ids.write({"resolution_note": self.note, "root_cause": self.root_cause})
            self.exception_ids.action_resolve()
        else:
            self.exception_ids.write({"ignore_reason": self.note})
            self.exception_ids.action_ignore()
        return {"type": "ir.actions.act_window_close"}
