import logging

from odoo import api, models, tools

_logger = logging.getLogger(__name__)


class MfgIntegrationSettings(models.AbstractModel):
    """The suite's numeric settings, read in one place."""

    _name = "mfg.integration.settings"
    _description = "Integration Settings"

    @api.model
    def _get(self, key, default):
        """System parameter mfg_integration.<key> first, then the server option
        mfg_integration_<key>, then the default."""
        value = self.env["ir.config_parameter"].sudo().get_param(f"mfg_integration.{key}")
        if value in (None, False, ""):
            value = tools.config.get(f"mfg_integration_{key}", default)
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except (TypeError, ValueError):
            _logger.warning("Setting mfg_integration.%s=%r is not a number", key, value)
            return default
