from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.service.model import _as_validation_error
from odoo.tools import mute_logger

from .common import MappingCase


class TestConstraints(MappingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.xref = cls._xref(cls.mes, cls.type_partner, "SUP-100", cls.supplier)

    def _count(self, model):
        return self.env[model].search_count([])

    def assertRefused(self, model, message, function, *args):
        """The call raises ValidationError naming `message` and leaves no trace."""
        before = self._count(model)
        with self.assertRaises(ValidationError) as caught:
            function(*args)
        self.assertIn(message, str(caught.exception))
        self.assertEqual(self._count(model), before)

    def assertDuplicateRefused(self, model, message, function, *args):
        """The database refuses the duplicate; the user reads `message`."""
        before = self._count(model)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError) as caught:
            function(*args)
            self.env.flush_all()
        self.assertIn(message, str(_as_validation_error(self.env, caught.exception)))
        self.assertEqual(self._count(model), before)

    def test_external_id_unique_per_system_and_type(self):
        self.assertDuplicateRefused(
            "mfg.integration.xref",
            "This external id is already cross-referenced for this system and object type.",
            self._xref,
            self.mes,
            self.type_partner,
            "SUP-100",
            self.supplier_2,
        )
        # the same id in another system is another id
        self._xref(self.wms, self.type_partner, "SUP-100", self.supplier_2)

    def test_record_unique_per_system_and_type(self):
        self.assertDuplicateRefused(
            "mfg.integration.xref",
            "This Odoo record already has an external id for this system and object type.",
            self._xref,
            self.mes,
            self.type_partner,
            "SUP-200",
            self.supplier,
        )

    def test_pattern(self):
        self.type_partner.external_id_pattern = r"SUP-\d{3}"
        self.assertRefused(
            "mfg.integration.xref",
            "does not match the pattern",
            self._xref,
            self.mes,
            self.type_partner,
            "SUP-1000",
            self.supplier_2,
        )
        self._xref(self.mes, self.type_partner, "SUP-101", self.supplier_2)
        with self.assertRaises(ValidationError) as caught:
            self.type_partner.external_id_pattern = "SUP-("
        self.assertIn("not a valid regular expression", str(caught.exception))

    def test_record_must_exist_and_fit_type(self):
        self.assertRefused(
            "mfg.integration.xref",
            "which does not exist",
            self.env["mfg.integration.xref"].create,
            {
                "system_id": self.mes.id,
                "object_type_id": self.type_partner.id,
                "external_id": "SUP-300",
                "res_id": 10**9,
            },
        )
        self.assertRefused(
            "mfg.integration.xref",
            "maps to res.partner records, not to res.currency",
            self.env["mfg.integration.xref"].create,
            {
                "system_id": self.mes.id,
                "object_type_id": self.type_partner.id,
                "external_id": "SUP-300",
                "record_ref": f"res.currency,{self.currency_eur.id}",
            },
        )
        self.assertRefused(
            "mfg.integration.xref",
            "has no Odoo record",
            self.env["mfg.integration.xref"].create,
            {
                "system_id": self.mes.id,
                "object_type_id": self.type_partner.id,
                "external_id": "SUP-300",
            },
        )
        status = self.env.ref("mfg_integration_core.object_type_status")
        self.assertRefused(
            "mfg.integration.xref",
            "belong in a value map",
            self._xref,
            self.mes,
            status,
            "RUN",
            self.supplier_2,
        )
        self.assertRefused(
            "mfg.integration.xref",
            "leading or trailing spaces",
            self._xref,
            self.mes,
            self.type_partner,
            " SUP-301",
            self.supplier_2,
        )

    def test_record_of_another_company(self):
        foreign_partner = self.env["res.partner"].create(
            {"name": "Foreign Supplier", "company_id": self.other_company.id}
        )
        self.assertRefused(
            "mfg.integration.xref",
            "points to a record of company Other Plant Co",
            self._xref,
            self.mes,
            self.type_partner,
            "SUP-400",
            foreign_partner,
        )

    def test_record_ref_form_input(self):
        xref = self.env["mfg.integration.xref"].create(
            {
                "system_id": self.mes.id,
                "object_type_id": self.type_partner.id,
                "external_id": "SUP-500",
                "record_ref": f"res.partner,{self.supplier_2.id}",
            }
        )
        self.assertEqual((xref.res_model, xref.res_id), ("res.partner", self.supplier_2.id))
        self.assertEqual(xref.record_ref, self.supplier_2)

    def test_system_code_unique_per_company(self):
        self.assertDuplicateRefused(
            "mfg.integration.system",
            "A connected system with this code already exists in this company.",
            self.env["mfg.integration.system"].create,
            {"code": "MES-01", "name": "Again"},
        )
        self.env["mfg.integration.system"].create(
            {
                "code": "MES-01",
                "name": "Same code, other company",
                "company_id": self.other_company.id,
            }
        )

    def test_value_map_entries(self):
        value_map = self._value_map(self.mes, "currency", [("EUR", "euro", None, False)])
        lines = "mfg.integration.value.map.line"
        self.assertRefused(
            lines,
            "'eur' and 'EUR' would be the same code",
            value_map.write,
            {"line_ids": [(0, 0, {"external_code": "eur", "canonical_value": "x"})]},
        )
        self.assertRefused(
            lines,
            "needs a canonical value or an Odoo record",
            value_map.write,
            {"line_ids": [(0, 0, {"external_code": "USD"})]},
        )
        self.assertDuplicateRefused(
            "mfg.integration.value.map",
            "This system already has a value map for this domain.",
            self._value_map,
            self.mes,
            "currency",
            [],
        )
        case_sensitive = self._value_map(
            self.mes, "reason", [("A", "a", None, False)], case_sensitive=True
        )
        self.assertDuplicateRefused(
            lines,
            "This external code already has an entry in this value map.",
            case_sensitive.write,
            {"line_ids": [(0, 0, {"external_code": "A", "canonical_value": "b"})]},
        )
        value_map.target_model = "res.currency"
        self.assertRefused(
            lines,
            "must point to a res.currency record",
            value_map.write,
            {
                "line_ids": [
                    (
                        0,
                        0,
                        {"external_code": "USD", "record_ref": f"res.partner,{self.supplier.id}"},
                    )
                ]
            },
        )
        with self.assertRaises(ValidationError):
            value_map.target_model = "no.such.model"

    def test_switch_to_case_insensitive_with_collisions(self):
        value_map = self._value_map(
            self.mes,
            "scrap.reason",
            [("BRK", "broken", None, False), ("brk", "brittle", None, False)],
            case_sensitive=True,
        )
        with self.assertRaises(ValidationError) as caught:
            value_map.case_sensitive = False
        self.assertIn("would be the same code", str(caught.exception))
        self.assertTrue(value_map.case_sensitive)
