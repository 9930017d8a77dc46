from odoo import _, fields, models
from odoo.exceptions import UserError


class MfgIntegrationSystem(models.Model):
    _inherit = "mfg.integration.system"

    mfg_template_id = fields.Many2one(
        "mfg.integration.mapping.template",
        string="Mapping Template",
        tracking=True,
        ondelete="set null",
        help="The template this system's value maps came from: its drift report "
        "compares them, and pushes of the template update them.",
    )

    def action_save_as_template(self):
        self.ensure_one()
        template = self.env["mfg.integration.mapping.template"]._save_from_system(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": template._name,
            "res_id": template.id,
            "view_mode": "form",
        }

    def action_drift_report(self):
        self.ensure_one()
        if not self.mfg_template_id:
            raise UserError(_("System %s follows no mapping template.", self.code))
        return self.env["mfg.integration.mapping.drift"]._report(self.mfg_template_id, self)
