from odoo import fields, models


class MfgIntegrationItemRevision(models.Model):
    """One revision of an item that a PLM published, kept on its product."""

    _name = "mfg.integration.item.revision"
    _description = "Item Revision"
    _order = "product_tmpl_id, id desc"
    _rec_name = "revision"

    product_tmpl_id = fields.Many2one(
        "product.template", string="Product", required=True, ondelete="cascade", index=True
    )
    system_id = fields.Many2one("mfg.integration.system", string="System", required=True)
    revision = fields.Char(required=True)
    previous_revision = fields.Char()
    change_number = fields.Char(help="The PLM's engineering change number.")
    name = fields.Char(string="Name at this revision")
    applied_at = fields.Datetime(default=fields.Datetime.now, required=True)
    applied_by_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    company_id = fields.Many2one(related="system_id.company_id", store=True, index=True)
