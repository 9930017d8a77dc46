from unittest.mock import patch

from odoo.addons.mfg_integration_core.exceptions import (
    AmbiguousMappingError,
    MappingError,
    UnknownReferenceError,
    UnmappedCodeError,
    UnmappedRecordError,
)
from odoo.addons.mfg_integration_core.models import mapping as mapping_module
from odoo.addons.mfg_integration_core.models.mapping import _MISSING

from .common import MappingCase


class TestCrossReferences(MappingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.env["mfg.integration.mapping"]
        cls._xref(cls.mes, cls.type_partner, "SUP-100", cls.supplier)
        cls._xref(cls.wms, cls.type_partner, "V0042", cls.supplier)

    def test_inbound_found(self):
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier)
        self.assertEqual(self.engine.resolve_record(self.wms, "partner", "V0042"), self.supplier)

    def test_inbound_unknown_is_typed(self):
        with self.assertRaises(UnknownReferenceError) as caught:
            self.engine.resolve_record("MES-01", "partner", "SUP-999")
        error = caught.exception
        self.assertEqual(
            (error.system, error.kind, error.value, error.code),
            ("MES-01", "partner", "SUP-999", "unknown_reference"),
        )
        self.assertIn("MES-01 sent partner 'SUP-999'", str(error))
        self.assertEqual(error.to_dict()["code"], "unknown_reference")
        # ids are per system: WMS's id means nothing to the MES
        with self.assertRaises(UnknownReferenceError):
            self.engine.resolve_record("MES-01", "partner", "V0042")
        self.assertFalse(
            self.engine.resolve_record("MES-01", "partner", "SUP-999", raise_if_missing=False)
        )

    def test_unknown_system_and_type(self):
        with self.assertRaises(UnknownReferenceError) as caught:
            self.engine.resolve_record("NOPE", "partner", "SUP-100")
        self.assertEqual(caught.exception.kind, "system")
        with self.assertRaises(UnknownReferenceError) as caught:
            self.engine.resolve_record("MES-01", "gizmo", "SUP-100")
        self.assertEqual(caught.exception.value, "gizmo")

    def test_outbound_both_directions(self):
        self.assertEqual(self.engine.external_id_of("MES-01", self.supplier), "SUP-100")
        self.assertEqual(self.engine.external_id_of("WMS-01", self.supplier, "partner"), "V0042")
        with self.assertRaises(UnmappedRecordError) as caught:
            self.engine.external_id_of("MES-01", self.supplier_2)
        self.assertEqual(caught.exception.value, self.supplier_2.id)
        self.assertIn("Brass Works", str(caught.exception))
        self.assertIsNone(
            self.engine.external_id_of("MES-01", self.supplier_2, raise_if_missing=False)
        )

    def test_outbound_ambiguous_across_types(self):
        """Two object types on one model (as lots and serial numbers share one):
        a record known under both has two external ids."""
        country = self.env.ref("base.be")
        type_country = self._object_type("test_country", "res.country")
        type_origin = self._object_type("test_origin", "res.country")
        self._xref(self.mes, type_country, "CTY-1", country)
        self._xref(self.mes, type_origin, "ORG-1", country)
        with self.assertRaises(AmbiguousMappingError) as caught:
            self.engine.external_id_of("MES-01", country)
        self.assertIn("CTY-1, ORG-1", str(caught.exception))
        self.assertEqual(self.engine.external_id_of("MES-01", country, "test_origin"), "ORG-1")

    def test_cache_serves_repeated_lookups_without_queries(self):
        self.engine.resolve_record("MES-01", "partner", "SUP-100")
        self.engine.external_id_of("MES-01", self.supplier, "partner")
        with self.assertQueryCount(0):
            for _i in range(50):
                self.engine.resolve_record("MES-01", "partner", "SUP-100")
                self.engine.external_id_of("MES-01", self.supplier, "partner")

    def test_identifiers_never_seen_need_no_cross_reference_query(self):
        """A type's few cross-references are cached whole: a new order id or a
        record just created is known to have none without asking the database
        (only the link table, which traffic fills, is read), and the look-up is
        counted as a hit of the cache."""
        self.engine.resolve_record("MES-01", "partner", "SUP-100")
        self.env["mfg.integration.link"].flush_model()
        partner = self.env["res.partner"].create({"name": "Created by traffic"})
        self.env.flush_all()
        counted = []
        with (
            patch.object(
                type(self.engine),
                "_count_lookup",
                lambda engine, kind, cached: counted.append(cached is not _MISSING),
            ),
            self.assertQueries(
                [
                    "SELECT res_id FROM mfg_integration_link WHERE system_id = %s AND "
                    "object_type_id = %s AND external_id = %s",
                    "SELECT external_id FROM mfg_integration_link WHERE system_id = %s AND "
                    "object_type_id = ANY(%s) AND res_model = %s AND res_id = %s AND "
                    "external_id IS NOT NULL ORDER BY external_id",
                ],
                flush=False,
            ),
        ):
            self.assertFalse(
                self.engine.resolve_record("MES-01", "partner", "NEW-1", raise_if_missing=False)
            )
            self.assertIsNone(
                self.engine.external_id_of("MES-01", partner, "partner", raise_if_missing=False)
            )
        self.assertEqual(counted, [True, True])
        # a cross-reference made later is found: the change drops the cached table
        self._xref(self.mes, self.type_partner, "NEW-1", partner)
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "NEW-1"), partner)
        self.assertEqual(self.engine.external_id_of("MES-01", partner, "partner"), "NEW-1")

    def test_many_cross_references_are_cached_one_by_one(self):
        """Above the table limit, each look-up is cached by itself, with the same answers."""
        with patch.object(mapping_module, "XREF_TABLE_LIMIT", 1):
            self._xref(self.mes, self.type_partner, "SUP-101", self.supplier_2)
            self._forget_pending_mapping_changes()
            self.assertEqual(
                self.engine.resolve_record("MES-01", "partner", "SUP-101"), self.supplier_2
            )
            self.assertFalse(
                self.engine.resolve_record("MES-01", "partner", "NEW-2", raise_if_missing=False)
            )
            self.assertEqual(self.engine.external_id_of("MES-01", self.supplier), "SUP-100")
            cache = self.engine._mapping_cache()
            self.assertIsNone(cache[("xrefs", self.mes.id, self.type_partner.id)])
            self.assertIn(("record", self.mes.id, self.type_partner.id, "SUP-101"), cache)

    def test_transaction_with_pending_changes_reads_around_the_cache(self):
        self.engine.resolve_record("MES-01", "partner", "SUP-100")
        self._xref(self.mes, self.type_partner, "SUP-200", self.supplier_2)
        # uncommitted changes are never stored in the shared cache
        self.assertEqual(
            self.engine.resolve_record("MES-01", "partner", "SUP-200"), self.supplier_2
        )
        self.assertIsNone(self.env.registry._mfg_mapping_cache)

    def test_cache_invalidated_by_orm_changes(self):
        xref = self.env["mfg.integration.xref"].search([("external_id", "=", "SUP-100")])
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier)
        xref.res_id = self.supplier_2.id
        self.assertEqual(
            self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier_2
        )
        self.assertEqual(self.engine.external_id_of("MES-01", self.supplier_2), "SUP-100")
        xref.unlink()
        with self.assertRaises(UnknownReferenceError):
            self.engine.resolve_record("MES-01", "partner", "SUP-100")
        # a negative answer is cached too, and dropped when the xref appears
        self._xref(self.mes, self.type_partner, "SUP-100", self.supplier)
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier)

    def test_cache_invalidated_by_another_process(self):
        """Another worker changes a mapping and commits: its generation bump reaches us."""
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier)
        # what another process's transaction did, behind this registry's back
        self.env.cr.execute(
            "UPDATE mfg_integration_xref SET res_id = %s WHERE external_id = 'SUP-100'",
            (self.supplier_2.id,),
        )
        # still the cached answer until the other process's commit bumps the generation
        self.assertEqual(self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier)
        self.engine._bump_generation()
        self.assertEqual(
            self.engine.resolve_record("MES-01", "partner", "SUP-100"), self.supplier_2
        )


class TestValueMaps(MappingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.env["mfg.integration.mapping"]
        cls.currency_map = cls._value_map(
            cls.mes,
            "currency",
            [
                ("EUR", "euro", cls.currency_eur, True),
                ("EU", "euro", cls.currency_eur, False),
                ("USD", "us_dollar", cls.currency_usd, False),
            ],
            target_model="res.currency",
        )
        cls.state_map = cls._value_map(
            cls.mes,
            "mrp.production.state",
            [
                ("REL", "confirmed", None, False),
                ("RUN", "progress", None, False),
                ("FIN", "done", None, False),
            ],
            case_sensitive=True,
        )

    def test_inbound_found_case_insensitive(self):
        self.assertEqual(self.engine.map_inbound("MES-01", "currency", "EUR"), "euro")
        self.assertEqual(self.engine.map_inbound("MES-01", "currency", "eur"), "euro")
        self.assertEqual(
            self.engine.map_inbound_record("MES-01", "currency", "usd"), self.currency_usd
        )

    def test_inbound_case_sensitive(self):
        self.assertEqual(
            self.engine.map_inbound("MES-01", "mrp.production.state", "RUN"), "progress"
        )
        with self.assertRaises(UnmappedCodeError) as caught:
            self.engine.map_inbound("MES-01", "mrp.production.state", "run")
        self.assertEqual(caught.exception.value, "run")

    def test_inbound_unmapped_is_typed(self):
        with self.assertRaises(UnmappedCodeError) as caught:
            self.engine.map_inbound("MES-01", "currency", "CHF")
        error = caught.exception
        self.assertEqual((error.system, error.kind, error.value), ("MES-01", "currency", "CHF"))
        self.assertEqual(
            str(error),
            "MES-01 sent currency code 'CHF', which has no mapping in value map 'currency'.",
        )
        with self.assertRaises(UnmappedCodeError) as caught:
            self.engine.map_inbound("WMS-01", "currency", "EUR")
        self.assertIn("WMS-01 has no value map for 'currency'", str(caught.exception))

    def test_inbound_record_missing_on_entry(self):
        with self.assertRaises(UnmappedCodeError) as caught:
            self.engine.map_inbound_record("MES-01", "mrp.production.state", "REL")
        self.assertIn("but to no Odoo record", str(caught.exception))

    def test_defaults(self):
        self.state_map.write({"default_canonical_value": "draft", "default_external_code": "UNK"})
        self.assertEqual(self.engine.map_inbound("MES-01", "mrp.production.state", "???"), "draft")
        self.assertEqual(
            self.engine.map_outbound("MES-01", "mrp.production.state", "cancel"), "UNK"
        )
        # a mapped value still wins over the default
        self.assertEqual(self.engine.map_outbound("MES-01", "mrp.production.state", "done"), "FIN")

    def test_outbound_preferred_and_ambiguous(self):
        self.assertEqual(self.engine.map_outbound("MES-01", "currency", "euro"), "EUR")
        self.assertEqual(self.engine.map_outbound("MES-01", "currency", self.currency_eur), "EUR")
        self.assertEqual(self.engine.map_outbound("MES-01", "currency", self.currency_usd), "USD")
        self.currency_map.line_ids.filtered(lambda line: line.external_code == "EUR").write(
            {"outbound_preferred": False}
        )
        with self.assertRaises(AmbiguousMappingError) as caught:
            self.engine.map_outbound("MES-01", "currency", "euro")
        self.assertIn("EU, EUR", str(caught.exception))
        self.assertIsInstance(caught.exception, MappingError)

    def test_has_value_map_is_cached(self):
        self.assertTrue(self.engine.has_value_map("MES-01", "currency"))
        self.assertFalse(self.engine.has_value_map("MES-01", "color"))
        with self.assertQueryCount(0):
            self.assertTrue(self.engine.has_value_map("MES-01", "currency"))
            self.assertFalse(self.engine.has_value_map("MES-01", "color"))

    def test_outbound_unmapped(self):
        with self.assertRaises(UnmappedCodeError) as caught:
            self.engine.map_outbound("MES-01", "currency", self.env.ref("base.GBP"))
        self.assertEqual(caught.exception.kind, "currency")

    def test_cache_invalidated_by_entry_changes(self):
        self.assertEqual(self.engine.map_inbound("MES-01", "currency", "USD"), "us_dollar")
        line = self.currency_map.line_ids.filtered(lambda entry: entry.external_code == "USD")
        line.canonical_value = "dollar"
        self.assertEqual(self.engine.map_inbound("MES-01", "currency", "USD"), "dollar")
        self.currency_map.line_ids = [(0, 0, {"external_code": "DOL", "canonical_value": "dollar"})]
        self.assertEqual(self.engine.map_inbound("MES-01", "currency", "dol"), "dollar")
        line.active = False
        with self.assertRaises(UnmappedCodeError):
            self.engine.map_inbound("MES-01", "currency", "USD")
