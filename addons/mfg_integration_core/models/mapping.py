"""The mapping engine: translate external identifiers and codes to Odoo and back.

Lookups are cached per registry (one per database and process). A PostgreSQL
sequence acts as the cache generation shared by every worker and server: a
change to a cross-reference or value map clears the local cache at once and
bumps the generation after its transaction commits, so other processes drop
their copies on their next transaction.
"""

from odoo import _, api, models
from odoo.tools import SQL
from odoo.tools.lru import LRU

from ..exceptions import (
    AmbiguousMappingError,
    UnknownReferenceError,
    UnmappedCodeError,
    UnmappedRecordError,
)

# the cross-references of one system and object type are cached as a whole
# when there are at most this many: then an identifier never seen before (a new
# order, a new lot, a record just created) is answered without a query
XREF_TABLE_LIMIT = 1000
GENERATION_SEQUENCE = "mfg_integration_mapping_generation"
GENERATION_KEY = "mfg_integration_mapping_generation"
LINKS_KEY = "mfg_integration_links"
_MISSING = object()


class MfgIntegrationRecordLink(models.AbstractModel):
    """Records that point to any Odoo record through a Reference field."""

    _name = "mfg.integration.record.link"
    _description = "Link to Any Record"

    @api.model
    def _selection_target_model(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]


class MfgIntegrationMappingSource(models.AbstractModel):
    """Records the mapping engine reads: any change invalidates its cache."""

    _name = "mfg.integration.mapping.source"
    _inherit = ["mfg.integration.record.link"]
    _description = "Mapping Engine Source"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["mfg.integration.mapping"]._invalidate_mapping_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env["mfg.integration.mapping"]._invalidate_mapping_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["mfg.integration.mapping"]._invalidate_mapping_cache()
        return result


class MfgIntegrationMapping(models.AbstractModel):
    """Python API of the mapping engine, used by every addon of the suite."""

    _name = "mfg.integration.mapping"
    _description = "Mapping Engine"

    # ------------------------------------------------------------------
    # Cache and its cross-process generation
    # ------------------------------------------------------------------
    def _mapping_cache(self):
        """Return this process's cache for the database, emptied when stale.

        A transaction that changed mappings reads around the cache (an empty
        dict): what it sees is not committed, and may never be.
        """
        cr = self.env.cr
        if cr.postcommit.data.get(GENERATION_KEY):
            return {}
        registry = self.env.registry
        generation = cr.cache.get(GENERATION_KEY)
        if generation is None:
            cr.execute(
                SQL("SELECT last_value, is_called FROM %s", SQL.identifier(GENERATION_SEQUENCE))
            )
            last_value, is_called = cr.fetchone()
            generation = last_value if is_called else 0
            cr.cache[GENERATION_KEY] = generation
            # the generation is read once per transaction
            cr.postcommit.add(lambda: cr.cache.pop(GENERATION_KEY, None))
            cr.postrollback.add(lambda: cr.cache.pop(GENERATION_KEY, None))
        cache = getattr(registry, "_mfg_mapping_cache", None)
        if cache is None or getattr(registry, "_mfg_mapping_generation", None) != generation:
            cache = registry._mfg_mapping_cache = LRU(65536)
            registry._mfg_mapping_generation = generation
        return cache

    @api.model
    def _invalidate_mapping_cache(self):
        registry = self.env.registry
        registry._mfg_mapping_cache = None
        cr = self.env.cr
        if not cr.postcommit.data.get(GENERATION_KEY):
            cr.postcommit.data[GENERATION_KEY] = True

            def bump_generation():
                with registry.cursor() as bump_cr:
                    bump_cr.execute("SELECT nextval(%s)", [GENERATION_SEQUENCE])
                registry._mfg_mapping_cache = None

            cr.postcommit.add(bump_generation)

    def _count_lookup(self, kind, cached):
        """Count a look-up of the mapping cache: a hit unless ``cached`` is the
        marker of a missing entry."""
        self.env["mfg.integration.telemetry"]._count(
            "mfg_mapping_cache_lookups_total",
            kind=kind,
            result="miss" if cached is _MISSING else "hit",
        )

    @api.model
    def _bump_generation(self):
        """Tell every process to drop its mapping cache (as a commit elsewhere does)."""
        self.env.cr.execute("SELECT nextval(%s)", [GENERATION_SEQUENCE])
        self.env.cr.cache.pop(GENERATION_KEY, None)

    def _xref_tables(self, system_id, type_ids, cache):
        """The cross-references of a system for each object type, as cached
        tables: ``[{"ids": {external id: res id}, "records": {(model, res id):
        [external ids]}}]``, and whether the cache held them all already. None
        instead of the list when a type has more than XREF_TABLE_LIMIT of them
        (they are then looked up and cached one by one), or in a transaction
        that changed mappings (it reads around the cache)."""
        if self.env.cr.postcommit.data.get(GENERATION_KEY):
            return None, False
        tables, cached = [], True
        for type_id in type_ids:
            key = ("xrefs", system_id, type_id)
            table = cache.get(key, _MISSING)
            if table is _MISSING:
                cached = False
                table = cache[key] = self._load_xref_table(system_id, type_id)
            if table is None:
                return None, cached
            tables.append(table)
        return tables, cached

    def _load_xref_table(self, system_id, type_id):
        self._flush_sources()
        self.env.cr.execute(
            """SELECT external_id, res_model, res_id FROM mfg_integration_xref
                WHERE system_id = %s AND object_type_id = %s
                LIMIT %s""",
            (system_id, type_id, XREF_TABLE_LIMIT + 1),
        )
        rows = self.env.cr.fetchall()
        if len(rows) > XREF_TABLE_LIMIT:
            return None
        table = {"ids": {}, "records": {}}
        for external_id, res_model, res_id in rows:
            table["ids"][external_id] = res_id
            table["records"].setdefault((res_model, res_id), []).append(external_id)
        return table

    def _flush_sources(self):
        for model in (
            "mfg.integration.system",
            "mfg.integration.object.type",
            "mfg.integration.xref",
            "mfg.integration.value.map",
            "mfg.integration.value.map.line",
        ):
            self.env[model].flush_model()

    # ------------------------------------------------------------------
    # Argument helpers
    # ------------------------------------------------------------------
    def _system(self, system, cache):
        """Return (id, code) of a system given as record, id or code."""
        if isinstance(system, models.BaseModel):
            return system.id, system.sudo().code
        key = ("system", system, self.env.company.id)
        found = cache.get(key, _MISSING)
        if found is _MISSING:
            record = (
                self.env["mfg.integration.system"]
                .sudo()
                .with_context(active_test=False)
                ._find(system)
            )
            found = cache[key] = (record.id, record.code) if record else None
        if found is None:
            raise UnknownReferenceError(
                _("Unknown connected system '%s'.", system), system=str(system), kind="system"
            )
        return found

    def _object_type(self, object_type, system_code, cache):
        """Return (id, code, model) of an object type whose model is installed."""
        code = object_type.code if isinstance(object_type, models.BaseModel) else object_type
        key = ("object_type", code)
        found = cache.get(key, _MISSING)
        if found is _MISSING:
            record = self.env["mfg.integration.object.type"].sudo()._find(code)
            found = cache[key] = (
                (record.id, record.code, record.model_installed and record.model)
                if record
                else None
            )
        if found is None:
            raise UnknownReferenceError(
                _("Unknown object type '%s'.", object_type),
                system=system_code,
                kind="object_type",
                value=str(code),
            )
        if not found[2]:
            raise UnknownReferenceError(
                _("Object type '%s' has no installed Odoo model.", code),
                system=system_code,
                kind=code,
            )
        return found

    # ------------------------------------------------------------------
    # Identifier cross-references
    # ------------------------------------------------------------------
    @api.model
    def resolve_record(self, system, object_type, external_id, raise_if_missing=True):
        """Return the Odoo record that `system` calls `external_id`.

        :param system: connected system record, id or code
        :param object_type: object type record or code (product, uom, lot...)
        :raises UnknownReferenceError: no such cross-reference (unless
            raise_if_missing is False: then an empty recordset)
        """
        cache = self._mapping_cache()
        system_id, system_code = self._system(system, cache)
        type_id, type_code, model = self._object_type(object_type, system_code, cache)
        tables, cached = self._xref_tables(system_id, [type_id], cache)
        if tables is not None:
            self._count_lookup("xref", None if cached else _MISSING)
            res_id = tables[0]["ids"].get(external_id)
        else:
            key = ("record", system_id, type_id, external_id)
            res_id = cache.get(key, _MISSING)
            self._count_lookup("xref", res_id)
            if res_id is _MISSING:
                self._flush_sources()
                self.env.cr.execute(
                    """SELECT res_id FROM mfg_integration_xref
                        WHERE system_id = %s AND object_type_id = %s AND external_id = %s""",
                    (system_id, type_id, external_id),
                )
                row = self.env.cr.fetchone()
                res_id = cache[key] = row[0] if row else None
        if res_id is None:
            res_id = self._linked(("record", system_id, type_id, external_id))
        if res_id is None:
            if not raise_if_missing:
                return self.env[model]
            raise UnknownReferenceError(
                _(
                    "%(system)s sent %(type)s '%(value)s', which has no cross-reference in "
                    "Odoo. Add one under Integration > Cross-References.",
                    system=system_code,
                    type=type_code,
                    value=external_id,
                ),
                system=system_code,
                kind=type_code,
                value=external_id,
            )
        return self.env[model].browse(res_id)

    @api.model
    def external_id_of(self, system, record, object_type=None, raise_if_missing=True):
        """Return the external id that `system` uses for the Odoo `record`.

        Without object_type, every type bound to the record's model is tried;
        more than one match is ambiguous.
        :raises UnmappedRecordError: the record has no external id in system
        :raises AmbiguousMappingError: several object types give an external id
        """
        record.ensure_one()
        cache = self._mapping_cache()
        system_id, system_code = self._system(system, cache)
        if object_type:
            type_ids = [self._object_type(object_type, system_code, cache)[0]]
        else:
            key = ("model_types", record._name)
            type_ids = cache.get(key, _MISSING)
            if type_ids is _MISSING:
                type_ids = cache[key] = (
                    self.env["mfg.integration.object.type"]
                    .sudo()
                    .search([("model", "=", record._name)])
                    .ids
                )
        tables, cached = self._xref_tables(system_id, type_ids, cache)
        if tables is not None:
            self._count_lookup("xref", None if cached else _MISSING)
            found = tuple(
                sorted(
                    external_id
                    for table in tables
                    for external_id in table["records"].get((record._name, record.id), ())
                )
            )
        else:
            key = ("external", system_id, tuple(type_ids), record._name, record.id)
            found = cache.get(key, _MISSING)
            self._count_lookup("xref", found)
            if found is _MISSING:
                self._flush_sources()
                self.env.cr.execute(
                    """SELECT external_id FROM mfg_integration_xref
                        WHERE system_id = %s AND object_type_id = ANY(%s)
                          AND res_model = %s AND res_id = %s
                     ORDER BY external_id""",
                    (system_id, type_ids, record._name, record.id),
                )
                found = cache[key] = tuple(row[0] for row in self.env.cr.fetchall())
        if not found:
            found = self._linked(("external", system_id, tuple(type_ids), record._name, record.id))
        if len(found) > 1:
            raise AmbiguousMappingError(
                _(
                    "%(record)s has several external ids in %(system)s (%(ids)s); name the "
                    "object type.",
                    record=record.display_name,
                    system=system_code,
                    ids=", ".join(found),
                ),
                system=system_code,
                kind=record._name,
                value=record.id,
            )
        if not found:
            if not raise_if_missing:
                return None
            raise UnmappedRecordError(
                _(
                    "%(record)s (%(model)s) has no external id in %(system)s. Add a "
                    "cross-reference under Integration > Cross-References.",
                    record=record.display_name,
                    model=record._name,
                    system=system_code,
                ),
                system=system_code,
                kind=record._name,
                value=record.id,
            )
        return found[0]

    @api.model
    def _forget_links(self):
        """Drop the links kept for the transaction (a savepoint rolled back)."""
        self.env.cr.cache.pop(LINKS_KEY, None)

    def _linked(self, key):
        """What the link table says (identifiers that traffic created), for a key
        of the shape the cross-reference look-ups use. Not in the mapping cache:
        links change with traffic; kept for the transaction only, misses too
        (an event's references are looked up once per delivery)."""
        cr = self.env.cr
        links = cr.cache.get(LINKS_KEY)
        if links is None:
            links = cr.cache[LINKS_KEY] = {}
            cr.postcommit.add(lambda: cr.cache.pop(LINKS_KEY, None))
            cr.postrollback.add(lambda: cr.cache.pop(LINKS_KEY, None))
        if key in links:
            return links[key]
        self.env["mfg.integration.link"].flush_model()
        if key[0] == "record":
            _kind, system_id, type_id, external_id = key
            self.env.cr.execute(
                """SELECT res_id FROM mfg_integration_link
                    WHERE system_id = %s AND object_type_id = %s AND external_id = %s""",
                (system_id, type_id, external_id),
            )
            row = self.env.cr.fetchone()
            found = row[0] if row else None
        else:
            _kind, system_id, type_ids, model, res_id = key
            self.env.cr.execute(
                """SELECT external_id FROM mfg_integration_link
                    WHERE system_id = %s AND object_type_id = ANY(%s)
                      AND res_model = %s AND res_id = %s AND external_id IS NOT NULL
                 ORDER BY external_id""",
                (system_id, list(type_ids), model, res_id),
            )
            found = tuple(row[0] for row in self.env.cr.fetchall())
        links[key] = found  # a new link drops these (link._link)
        return found

    # ------------------------------------------------------------------
    # Value maps
    # ------------------------------------------------------------------
    def _value_map_table(self, system, domain):
        """Return (system code, lookup tables of one value map), cached."""
        cache = self._mapping_cache()
        system_id, system_code = self._system(system, cache)
        key = ("map", system_id, domain)
        table = cache.get(key, _MISSING)
        self._count_lookup("value_map", table)
        if table is _MISSING:
            value_map = (
                self.env["mfg.integration.value.map"]
                .sudo()
                .search([("system_id", "=", system_id), ("domain", "=", domain)], limit=1)
            )
            table = cache[key] = self._build_table(value_map) if value_map else None
        if table is None:
            raise UnmappedCodeError(
                _(
                    "%(system)s has no value map for '%(domain)s'. Create one under "
                    "Integration > Value Maps.",
                    system=system_code,
                    domain=domain,
                ),
                system=system_code,
                kind=domain,
            )
        return system_code, table

    @api.model
    def has_value_map(self, system, domain):
        """Whether the system has a value map for the domain (cached)."""
        try:
            self._value_map_table(system, domain)
        except UnmappedCodeError:
            return False
        return True

    def _build_table(self, value_map):
        table = {
            "case_sensitive": value_map.case_sensitive,
            "default_in": value_map.default_canonical_value or None,
            "default_out": value_map.default_external_code or None,
            "inbound": {},
            "outbound": {},
        }
        for line in value_map.line_ids:
            record = line.record_ref
            target = (record._name, record.id) if record else None
            value = line.canonical_value or (record.display_name if record else None)
            code = line.external_code
            table["inbound"][code if value_map.case_sensitive else code.lower()] = (value, target)
            for out_key in {value, target} - {None}:
                table["outbound"].setdefault(out_key, []).append(
                    (not line.outbound_preferred, line.sequence, code)
                )
        return table

    def _inbound_entry(self, system, domain, external_code):
        system_code, table = self._value_map_table(system, domain)
        code = external_code if isinstance(external_code, str) else str(external_code)
        entry = table["inbound"].get(code if table["case_sensitive"] else code.lower())
        if entry is None and table["default_in"] is not None:
            entry = (table["default_in"], None)
        if entry is None:
            raise UnmappedCodeError(
                _(
                    "%(system)s sent %(domain)s code '%(code)s', which has no mapping in "
                    "value map '%(domain)s'.",
                    system=system_code,
                    domain=domain,
                    code=external_code,
                ),
                system=system_code,
                kind=domain,
                value=external_code,
            )
        return system_code, entry

    @api.model
    def map_inbound(self, system, domain, external_code):
        """Return the canonical value for a system's code in a value-map domain.

        :raises UnmappedCodeError: no entry and no inbound default
        """
        return self._inbound_entry(system, domain, external_code)[1][0]

    @api.model
    def map_inbound_record(self, system, domain, external_code):
        """Return the Odoo record a system's code stands for (e.g. a uom.uom).

        :raises UnmappedCodeError: no entry, or the entry names no record
        """
        system_code, (value, target) = self._inbound_entry(system, domain, external_code)
        if not target:
            raise UnmappedCodeError(
                _(
                    "%(system)s code '%(code)s' in value map '%(domain)s' is mapped to "
                    "'%(value)s' but to no Odoo record.",
                    system=system_code,
                    code=external_code,
                    domain=domain,
                    value=value,
                ),
                system=system_code,
                kind=domain,
                value=external_code,
            )
        return self.env[target[0]].browse(target[1])

    @api.model
    def map_outbound(self, system, domain, value):
        """Return the code a system uses for a canonical value or an Odoo record.

        Several codes for one value: the one marked preferred wins; without
        exactly one preferred code the mapping is ambiguous.
        :raises UnmappedCodeError: no entry and no outbound default
        :raises AmbiguousMappingError: several codes and no single preferred one
        """
        system_code, table = self._value_map_table(system, domain)
        is_record = isinstance(value, models.BaseModel)
        key = (value._name, value.id) if is_record else value
        shown = value.display_name if is_record else value
        candidates = sorted(table["outbound"].get(key, []))
        if not candidates:
            if table["default_out"] is not None:
                return table["default_out"]
            raise UnmappedCodeError(
                _(
                    "'%(value)s' has no %(system)s code in value map '%(domain)s'.",
                    value=shown,
                    system=system_code,
                    domain=domain,
                ),
                system=system_code,
                kind=domain,
                value=str(shown),
            )
        preferred = [candidate for candidate in candidates if not candidate[0]]
        if len(candidates) > 1 and len(preferred) != 1:
            raise AmbiguousMappingError(
                _(
                    "'%(value)s' has several %(system)s codes in value map '%(domain)s' "
                    "(%(codes)s); mark exactly one as preferred outbound.",
                    value=shown,
                    system=system_code,
                    domain=domain,
                    codes=", ".join(candidate[2] for candidate in candidates),
                ),
                system=system_code,
                kind=domain,
                value=str(shown),
            )
        return candidates[0][2]
