"""Mapping and cross-reference changes of the core leave audit rows too."""

from odoo import models


class MfgIntegrationSystem(models.Model):
    _name = "mfg.integration.system"
    _inherit = ["mfg.integration.system", "mfg.integration.audited"]


class MfgIntegrationXref(models.Model):
    _name = "mfg.integration.xref"
    _inherit = ["mfg.integration.xref", "mfg.integration.audited"]


class MfgIntegrationValueMap(models.Model):
    _name = "mfg.integration.value.map"
    _inherit = ["mfg.integration.value.map", "mfg.integration.audited"]


class MfgIntegrationValueMapLine(models.Model):
    _name = "mfg.integration.value.map.line"
    _inherit = ["mfg.integration.value.map.line", "mfg.integration.audited"]
