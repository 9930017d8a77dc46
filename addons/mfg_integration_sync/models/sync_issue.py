"""A record a sync run did not apply: refused by its command, older than
what was applied, or changed on both sides (a conflict a person decides in
the exception app: retrying it applies the system's value)."""

import json

from odoo import _, api, fields, models

from odoo.addons.mfg_integration_command.context import parse_timestamp

ISSUE_KINDS = [
    ("refused", "Refused"),
    ("conflict", "Conflict"),
    ("failed", "Failed"),
]


class MfgIntegrationSyncIssue(models.Model):
    _name = "mfg.integration.sync.issue"
    _inherit = ["mfg.integration.retryable"]
    _description = "Batch Sync Issue"
    _order = "id desc"

    run_id = fields.Many2one(
        "mfg.integration.sync.run", required=True, readonly=True, index=True, ondelete="cascade"
    )
    job_id = fields.Many2one(related="run_id.job_id", store=True, index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    kind = fields.Selection(ISSUE_KINDS, required=True, readonly=True, index=True)
    state = fields.Selection(
        [("open", "Open"), ("applied", "Applied"), ("dismissed", "Dismissed")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    key = fields.Char(readonly=True, help="Product|location|lot in the system's ids.")
    detail = fields.Text(readonly=True)
    cursor = fields.Char(readonly=True, help="The page it came in.")
    payload = fields.Text(readonly=True, help="The record as the system sent it.")
    problem = fields.Text(readonly=True, help="The command's problem document.")

    @api.depends("run_id", "key")
    def _compute_display_name(self):
        for issue in self:
            issue.display_name = _("%(run)s: %(key)s", run=issue.run_id.name, key=issue.key)

    def action_dismiss(self):
        """Keep Odoo's value; the issue is closed (and its exception with it)."""
        issues = self.filtered(lambda issue: issue.state == "open")
        issues.write({"state": "dismissed"})
        self.env["mfg.integration.incident"]._source_settled(issues)

    def action_apply(self):
        for issue in self:
            issue._integration_retry()

    def _report_conflict(self):
        run = self.run_id
        self.env["mfg.integration.incident"]._report(
            "sync_conflict",
            _(
                "%(job)s: %(key)s changed in Odoo and in %(system)s since the last sync",
                job=run.job_id.name,
                key=self.key,
                system=run.system_id.code,
            ),
            key=f"sync|{run.job_id.id}|{self.key}",
            system=run.system_id or None,
            source=self,
            detail=f"{self.detail}\nRetry applies {run.system_id.code}'s value; "
            f"closing the exception keeps Odoo's.",
            job_uuid=run.job_uuid,
        )

    # retryable source (the exception app's Retry)
    def _integration_retry(self):
        """Apply the system's record now (the person chose its value)."""
        self.ensure_one()
        if self.state != "open":
            return self.state == "applied"
        run = self.run_id.sudo()
        record = json.loads(self.payload)
        outcome = run.job_id._invoke_record(record)
        if not outcome.succeeded:
            self.sudo().detail = (outcome.body or {}).get("detail") or self.detail
            return False
        self.env["mfg.integration.sync.state"].sudo()._remember(
            run.job_id,
            self.key,
            parse_timestamp(record["updated_at"], "/updated_at"),
            outcome.body["counted"],
        )
        self.sudo().state = "applied"
        return True

    def _integration_succeeded(self):
        """Decided: the system's value applied, or Odoo's kept."""
        return self.state != "open"
