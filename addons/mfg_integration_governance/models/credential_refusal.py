from odoo import fields, models


class MfgIntegrationCredentialRefusal(models.Model):
    """Requests refused for a missing, unknown or wrong API key, counted per
    address and minute. Only the first of each minute (and the first one
    throttled) is written to the message log: a flood of bad keys costs one
    counter update per request and stays visible here."""

    _name = "mfg.integration.credential.refusal"
    _description = "Refused API Credentials"
    _order = "minute desc, count desc"
    _rec_name = "address"

    address = fields.Char(string="Client Address", required=True, readonly=True, index=True)
    minute = fields.Datetime(required=True, readonly=True, index=True)
    count = fields.Integer(string="Refused Requests", required=True, readonly=True)

    _sql_constraints = [
        ("address_minute_unique", "UNIQUE (address, minute)", "One counter per address and minute.")
    ]
