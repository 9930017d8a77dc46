from odoo import models


class MfgIntegrationSystem(models.Model):
    """Authentication caches a client's system (its code names the caller in
    the metrics): a change to a system clears that cache too."""

    _name = "mfg.integration.system"
    _inherit = ["mfg.integration.system", "mfg.integration.auth.source"]
