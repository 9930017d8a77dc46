from odoo.addons.mfg_integration_core.exceptions import MappingError
from odoo.addons.mfg_integration_mrp.tests.common import ApiCase


class CatalogCase(ApiCase):
    """The manufacturing API case, with the interface its production orders
    belong to since the catalog was installed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Interface = cls.env["mfg.integration.interface"]
        cls.Member = cls.env["mfg.integration.interface.member"]
        cls.production_interface = cls.Member.search(
            [("kind", "=", "command"), ("key", "=", "production_order.create")]
        ).interface_id

    def _production(self, external_id):
        """The production order MES-01 calls external_id, or an empty recordset."""
        try:
            return self.env["mfg.integration.mapping"].resolve_record(
                self.mes, "production", external_id
            )
        except MappingError:
            return self.env["mrp.production"]
