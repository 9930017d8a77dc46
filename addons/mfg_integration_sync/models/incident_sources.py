"""Sync failures reported to the incident service of core: a run that
stopped (the run record says where), and a record changed on both sides
(the sync issue is what a retry applies), and a reconciliation with more
differences than its job's threshold (a retry reconciles again)."""

from odoo import fields, models


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    category = fields.Selection(
        selection_add=[
            ("sync_failed", "Sync run stopped"),
            ("sync_conflict", "Sync conflict (changed on both sides)"),
            ("recon_differences", "Reconciliation differences"),
        ]
    )
