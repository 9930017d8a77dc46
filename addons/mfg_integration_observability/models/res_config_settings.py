from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..models.telemetry_metrics import parse_allowlist


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mfg_metrics_ip_allowlist = fields.Char(
        string="Metrics Allow-List",
        config_parameter="mfg_integration.metrics_ip_allowlist",
        help="Addresses or networks (CIDR), separated by commas, that may read /metrics "
        "without an API key, e.g. the Prometheus server: 10.0.0.5, 192.168.1.0/24. "
        "Empty: an API key with the metrics:read scope is needed.",
    )

    @api.constrains("mfg_metrics_ip_allowlist")
    def _check_mfg_metrics_ip_allowlist(self):
        for settings in self:
            try:
                parse_allowlist(settings.mfg_metrics_ip_allowlist)
            except ValueError as error:
                raise ValidationError(
                    _("The metrics allow-list is not valid: %s", error)
                ) from error
