"""The exceptions this addon opens through core's incident service: its
categories (see core's readme, "A new exception source")."""

from odoo import fields, models


class MfgIntegrationIncident(models.AbstractModel):
    _inherit = "mfg.integration.incident"

    category = fields.Selection(
        selection_add=[
            ("anomaly", "Unusual traffic"),
            ("congestion", "Backlog will miss its SLA"),
        ]
    )
