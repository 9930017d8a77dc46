import werkzeug.routing

from odoo import models


class AnyPathConverter(werkzeug.routing.PathConverter):
    """Like 'path', but also matches control characters (werkzeug's stops at a
    newline), so that every path under the API prefix gets a problem document."""

    regex = "[^/][\\s\\S]*?"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_converters(cls):
        return {**super()._get_converters(), "mfgpath": AnyPathConverter}
