from odoo import fields, models

from ..routers.bench import router


class FastapiEndpoint(models.Model):
    _inherit = "fastapi.endpoint"

    app = fields.Selection(
        selection_add=[("mfg_bench", "Manufacturing benchmark")],
        ondelete={"mfg_bench": "cascade"},
    )

    def _get_fastapi_routers(self):
        if self.app == "mfg_bench":
            return [router]
        return super()._get_fastapi_routers()
