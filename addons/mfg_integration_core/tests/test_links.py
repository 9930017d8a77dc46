from datetime import datetime

from odoo.addons.mfg_integration_core.exceptions import StateConflictError
from odoo.addons.mfg_integration_core.models.mapping import GENERATION_KEY

from .common import MappingCase


class TestIdentifierLinks(MappingCase):
    """Identifiers that traffic creates are found like cross-references, but are
    not configuration: they never invalidate the mapping cache."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.env["mfg.integration.mapping"]
        cls.Link = cls.env["mfg.integration.link"]
        cls._xref(cls.mes, cls.type_partner, "SUP-100", cls.supplier)

    def setUp(self):
        super().setUp()
        # a cache warmed by a committed state, as in a running server
        self.env.cr.postcommit.data.pop(GENERATION_KEY, None)
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier)
        self.assertIsNotNone(self.env.registry._mfg_mapping_cache)

    def test_a_link_resolves_both_ways_and_keeps_the_cache(self):
        # a miss of this transaction is not kept once the link is made
        self.assertFalse(
            self.engine.resolve_record("MES-01", "partner", "ORD-1", raise_if_missing=False)
        )
        self.Link._link(self.mes, "partner", "ORD-1", self.supplier_2)
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "ORD-1"), self.supplier_2)
        self.assertEqual(self.engine.external_id_of("MES-01", self.supplier_2), "ORD-1")
        self.assertIsNotNone(self.env.registry._mfg_mapping_cache)
        self.assertFalse(self.env.cr.postcommit.data.get(GENERATION_KEY))
        # a cross-reference still wins over a link
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier)

    def test_source_time_only_moves_forward(self):
        first, later = datetime(2026, 11, 1, 8), datetime(2026, 11, 1, 9)
        self.Link._link(self.mes, "partner", "ORD-2", self.supplier_2, first)
        self.Link._advance_source_time(self.mes, "partner", self.supplier_2, later)
        with self.assertRaisesRegex(StateConflictError, "before the last one applied"):
            self.Link._advance_source_time(self.mes, "partner", self.supplier_2, first)
        link = self.Link.search([("external_id", "=", "ORD-2")])
        self.assertEqual(link.source_updated_at, later)
        # a record the consultant cross-referenced gets its timestamps in a link too
        self.Link._advance_source_time(self.mes, "partner", self.supplier, first)
        stamped = self.Link.search([("res_id", "=", self.supplier.id)])
        self.assertEqual((stamped.external_id, stamped.source_updated_at), ("SUP-100", first))
        self.assertIsNotNone(self.env.registry._mfg_mapping_cache)

    def test_system_and_object_type_changes_invalidate_the_cache(self):
        self.mes.name = "Shop-floor MES, line 2"
        self.assertIsNone(self.env.registry._mfg_mapping_cache)
        self.assertTrue(self.env.cr.postcommit.data.get(GENERATION_KEY))
        self.env.cr.postcommit.data.pop(GENERATION_KEY)
        self.engine.resolve_record("MES-01", "partner", "SUP-100")
        self.type_partner.name = "Business partner"
        self.assertIsNone(self.env.registry._mfg_mapping_cache)
