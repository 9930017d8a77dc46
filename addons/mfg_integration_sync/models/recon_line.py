"""A difference found by a reconciliation, and what a person did about it."""

import requests

from odoo import _, fields, models
from odoo.exceptions import UserError

from .recon import LINE_KINDS


class MfgIntegrationReconLine(models.Model):
    _name = "mfg.integration.recon.line"
    _description = "Reconciliation Difference"
    _order = "recon_id desc, kind, product_code, location_code, lot"

    recon_id = fields.Many2one(
        "mfg.integration.recon", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    system_id = fields.Many2one(related="recon_id.system_id", store=True)
    kind = fields.Selection(LINE_KINDS, required=True, readonly=True, index=True)
    field = fields.Char(readonly=True, help="The compared field that differs.")
    product_code = fields.Char(string="Product (System)", readonly=True)
    location_code = fields.Char(string="Location (System)", readonly=True)
    lot = fields.Char(readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    location_id = fields.Many2one("stock.location", readonly=True)
    odoo_value = fields.Float(string="Odoo Value", readonly=True, digits="Product Unit of Measure")
    system_value = fields.Float(
        string="System Value",
        readonly=True,
        digits="Product Unit of Measure",
        help="The system's quantity in the product's unit of measure.",
    )
    system_quantity = fields.Float(
        string="System (as sent)", readonly=True, digits="Product Unit of Measure"
    )
    system_unit = fields.Char(readonly=True)
    line_count = fields.Integer(string="Lines", default=1, readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("fixed", "Fixed"), ("explained", "Explained")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    fix = fields.Selection(
        [
            ("pulled", "Pulled from the system"),
            ("resent", "Re-sent from Odoo"),
            ("explained", "Explained"),
        ],
        readonly=True,
    )
    reason = fields.Char(help="Why the difference is right (required to mark it explained).")
    fixed_by_id = fields.Many2one("res.users", string="Settled By", readonly=True)
    fixed_at = fields.Datetime(string="Settled At", readonly=True)

    def _compute_display_name(self):
        for line in self:
            line.display_name = "|".join(
                (line.product_code or "", line.location_code or "", line.lot or "")
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_pull(self):
        """Take the system's value: run it through the inventory count command."""
        for line in self._open():
            job = line.recon_id.job_id.sudo()
            record = {
                "product": line.product_code,
                "location": line.location_code,
                "lot": line.lot or None,
                "quantity": line.system_quantity if line.kind != "missing_in_system" else 0,
                "unit": line.system_unit or line._unit_code(),
            }
            outcome = job._invoke_record(record)
            if not outcome.succeeded:
                raise UserError(
                    _(
                        "%(line)s cannot be pulled: %(detail)s",
                        line=line.display_name,
                        detail=(outcome.body or {}).get("detail"),
                    )
                )
            state = (
                self.env["mfg.integration.sync.state"]
                .sudo()
                .search([("job_id", "=", job.id), ("key", "=", line.display_name)])
            )
            # Odoo now holds the system's value: no conflict with what the sync applied
            state.applied_quantity = outcome.body["counted"]
            line._settle("fixed", "pulled")

    def action_resend(self):
        """Send Odoo's value to the system (its push endpoint)."""
        for line in self._open():
            job = line.recon_id.job_id.sudo()
            if not job.push_url:
                raise UserError(_("%s has no push endpoint to re-send to.", job.name))
            record = {
                "product": line.product_code,
                "location": line.location_code,
                "lot": line.lot or None,
                "quantity": line.odoo_value,
                "unit": line._unit_code(),
            }
            try:
                response = requests.post(
                    job.push_url, json={"records": [record]}, timeout=job.timeout
                )
            except requests.RequestException as error:
                raise UserError(
                    _("%(url)s did not answer: %(error)s", url=job.push_url, error=error)
                ) from error
            if not response.ok:
                raise UserError(
                    _(
                        "%(url)s answered %(status)s: %(text)s",
                        url=job.push_url,
                        status=response.status_code,
                        text=response.text[:300],
                    )
                )
            line._settle("fixed", "resent")

    def action_explain(self):
        for line in self._open():
            if not (line.reason or "").strip():
                raise UserError(
                    _("Say why %s is right before marking it explained.", line.display_name)
                )
            line._settle("explained", "explained")

    def _open(self):
        return self.filtered(lambda line: line.state == "open")

    def _unit_code(self):
        """The system's code of the product's unit of measure."""
        product = self.product_id
        if not product:
            raise UserError(_("%s is not a product Odoo knows.", self.product_code))
        return (
            self.env["mfg.integration.mapping"]
            .sudo()
            .map_outbound(self.recon_id.system_id, "uom", product.uom_id)
        )

    def _settle(self, state, fix):
        self.write(
            {
                "state": state,
                "fix": fix,
                "fixed_by_id": self.env.uid,
                "fixed_at": fields.Datetime.now(),
            }
        )
        kind = dict(self._fields["kind"]._description_selection(self.env))[self.kind]
        line = f"{self.display_name} ({kind}, Odoo {self.odoo_value}, {self.system_value})"
        how = dict(self._fields["fix"]._description_selection(self.env))[fix]
        reason = f": {self.reason}" if self.reason else ""
        self.recon_id.message_post(
            body=_(
                "%(line)s: %(fix)s by %(user)s%(reason)s",
                line=line,
                fix=how,
                user=self.env.user.name,
                reason=reason,
            )
        )
        if not self.recon_id.open_count:
            self.env["mfg.integration.incident"]._source_settled(self.recon_id)
