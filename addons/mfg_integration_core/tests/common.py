from odoo.tests import TransactionCase, new_test_user

from odoo.addons.mfg_integration_core.models.mapping import GENERATION_KEY


class MappingCase(TransactionCase):
    """Two systems of the main company and one of a second company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Other Plant Co"})
        System = cls.env["mfg.integration.system"]
        cls.mes = System.create({"code": "MES-01", "name": "Shop-floor MES", "kind": "mes"})
        cls.wms = System.create({"code": "WMS-01", "name": "Warehouse WMS", "kind": "wms"})
        cls.foreign_mes = System.create(
            {
                "code": "MES-99",
                "name": "Other company's MES",
                "kind": "mes",
                "company_id": cls.other_company.id,
            }
        )
        # only what core and its dependencies (base, mail, queue_job) provide:
        # core's own object type, partners, and currencies for value maps
        cls.type_partner = cls.env.ref("mfg_integration_core.object_type_partner")
        cls.supplier = cls.env["res.partner"].create({"name": "Acme Castings"})
        cls.supplier_2 = cls.env["res.partner"].create({"name": "Brass Works"})
        cls.currency_eur = cls.env.ref("base.EUR")
        cls.currency_usd = cls.env.ref("base.USD")

    @classmethod
    def _object_type(cls, code, model, name=None):
        """An object type of the test's own, on a model of base."""
        return cls.env["mfg.integration.object.type"].create(
            {"code": code, "name": name or code, "model": model}
        )

    @classmethod
    def _forget_pending_mapping_changes(cls):
        """Treat the data so far as committed, as another transaction's would be."""
        cls.env.cr.postcommit.data.pop(GENERATION_KEY, None)
        cls.env.registry._mfg_mapping_cache = None

    def setUp(self):
        super().setUp()
        self._forget_pending_mapping_changes()
        self.addCleanup(self._forget_pending_mapping_changes)

    @classmethod
    def _xref(cls, system, object_type, external_id, record, **extra):
        return cls.env["mfg.integration.xref"].create(
            {
                "system_id": system.id,
                "object_type_id": object_type.id,
                "external_id": external_id,
                "res_id": record.id,
                **extra,
            }
        )

    @classmethod
    def _value_map(cls, system, domain, entries, **extra):
        """entries: list of (external_code, canonical_value, record or None, preferred)."""
        return cls.env["mfg.integration.value.map"].create(
            {
                "system_id": system.id,
                "domain": domain,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "external_code": code,
                            "canonical_value": value,
                            "record_ref": f"{record._name},{record.id}" if record else False,
                            "outbound_preferred": preferred,
                        },
                    )
                    for code, value, record, preferred in entries
                ],
                **extra,
            }
        )

    @classmethod
    def _user(cls, login, groups, company=None):
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
