"""Shadow runs: what a command would have done, applied and rolled back."""

import json

from odoo import api, fields, models
from odoo.tools import SQL

# what a shadow run reads of each record it would have created or changed
OBSERVED_FIELDS = (
    "state",
    "product_id",
    "product_qty",
    "product_uom_qty",
    "quantity",
    "qty_producing",
    "location_id",
    "location_dest_id",
    "lot_id",
)
# bookkeeping that any write leaves behind, not what the command does
UNOBSERVED_PREFIXES = ("ir.", "mail.", "bus.", "res.users", "mfg.integration.")
MAX_RECORDS_PER_MODEL = 50


class MfgIntegrationShadowRun(models.Model):
    _name = "mfg.integration.shadow.run"
    _description = "Shadow Run"
    _order = "id desc"
    _rec_name = "correlation_id"

    interface_id = fields.Many2one(
        "mfg.integration.interface", required=True, ondelete="cascade", index=True
    )
    command = fields.Char(required=True, index=True)
    correlation_id = fields.Char(index=True)
    client_id = fields.Many2one("mfg.integration.client", ondelete="set null")
    outcome = fields.Selection(
        [("applied", "Would apply"), ("refused", "Would refuse")], required=True
    )
    problem = fields.Text(help="Why the command would have been refused.")
    created_count = fields.Integer(string="Records Created")
    changed_count = fields.Integer(string="Records Changed")
    event_count = fields.Integer(string="Events")
    effects = fields.Json(
        string="Effects Data", help="Records created and changed (before/after), and events."
    )
    effects_text = fields.Text(string="Effects", compute="_compute_effects_text")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    count = fields.Integer(default=1, help="For counting in pivot and graph views.")

    def _compute_effects_text(self):
        for run in self:
            run.effects_text = json.dumps(run.effects or {}, indent=2, default=str)

    # ------------------------------------------------------------------
    # Observing a savepoint's writes
    # ------------------------------------------------------------------
    @api.model
    def _open_observation(self, interface):
        """Where the shadow's writes start (call inside its savepoint, before
        the command): the savepoint's own transaction id, read from a marker
        row that the rollback takes away. Transaction ids grow, so every row
        the command inserts or updates there has an xmin at or above it, and
        every row written before has one below."""
        self.env.cr.execute(
            SQL(
                """INSERT INTO mfg_integration_shadow_run
                       (interface_id, command, outcome, company_id, count)
                   VALUES (%s, 'marker', 'applied', %s, 0)
                   RETURNING xmin::text::bigint""",
                interface.id,
                interface.company_id.id,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _observe_writes(self, first_xid):
        """{model: {id: values}} of the rows written since ``first_xid``, read
        inside the savepoint (the records as the command would leave them)."""
        registry = self.env.registry
        tables = {}
        for name in registry:
            model = registry[name]
            if model._abstract or not model._auto or name.startswith(UNOBSERVED_PREFIXES):
                continue
            if model._table not in tables:
                tables[model._table] = name
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT relname FROM pg_stat_xact_user_tables WHERE n_tup_ins + n_tup_upd > 0"
        )
        written = [row[0] for row in self.env.cr.fetchall() if row[0] in tables]
        observed = {}
        for table in written:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE xmin::text::bigint >= %s ORDER BY id LIMIT %s",
                    SQL.identifier(table),
                    first_xid,
                    MAX_RECORDS_PER_MODEL,
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if ids:
                observed[tables[table]] = self._read_observed(tables[table], ids)
        return observed

    @api.model
    def _read_observed(self, model_name, ids):
        records = self.env[model_name].sudo().with_context(active_test=False).browse(ids)
        names = [name for name in OBSERVED_FIELDS if name in records._fields]
        values = {}
        for read in records.exists().read(names + ["display_name"]):
            row = {"name": read["display_name"]}
            for name in names:
                value = read[name]
                # a many2one as its name: what a person compares
                row[name] = value[1] if isinstance(value, tuple | list) and value else value
            values[read["id"]] = row
        return values

    @api.model
    def _effects(self, after, events):
        """Once rolled back: created (gone now) and changed (still there:
        their values before beside after) records, per model."""
        created, changed = [], []
        for model_name, rows in after.items():
            before = self._read_observed(model_name, list(rows))
            for record_id, values in rows.items():
                if record_id not in before:
                    created.append({"model": model_name, "id": record_id, **values})
                    continue
                diff = {
                    name: {"before": before[record_id].get(name), "after": value}
                    for name, value in values.items()
                    if before[record_id].get(name) != value
                }
                if diff:
                    changed.append(
                        {
                            "model": model_name,
                            "id": record_id,
                            "name": before[record_id]["name"],
                            "changes": diff,
                        }
                    )
        return {"created": created, "changed": changed, "events": events}

    @api.model
    def _emitted_events(self, first_xid):
        """The event types of the outbox rows the command wrote."""
        self.env.cr.execute(
            SQL(
                "SELECT type FROM mfg_integration_event WHERE xmin::text::bigint >= %s ORDER BY id",
                first_xid,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]
