from odoo import models


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _auth_method_mfg_metrics(cls):
        """/metrics: as auth="none", the caller is checked by the route itself
        (a metrics key or an allowed address). Being another method keeps the
        route out of Odoo's database-less routing when the addon is loaded
        server-wide: it reads the database."""
        return cls._auth_method_none()
