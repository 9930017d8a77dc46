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

    @classmethod
    def _auth_method_mfg_api(cls):
        """Routes of the API: as auth="none", the caller is nobody until the
        pipeline has checked its key. Being another method keeps the routes out
        of Odoo's database-less routing when the addon is loaded server-wide
        (they need a database, and the "mfgpath" converter is the registry's)."""
        return cls._auth_method_none()
