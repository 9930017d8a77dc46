"""Reconciliation by extract: the system's full extract is streamed page by
page into an unlogged staging table (COPY), compared with Odoo's stock in one
SQL statement (keys, and a hash of the compared fields), and the differences
written as report lines by the same statement. Neither side is ever held in
Python memory: only one page of the extract at a time."""

import io

import requests

from odoo import _, api, fields, models
from odoo.tools import SQL

from .sync_run import SyncFailure, cursor_text

STAGING = "mfg_integration_recon_extract"
# the key-hash prefixes whose records a checksum reconciliation read
RANGES = "mfg_integration_recon_range"
HEX_DIGITS = "0123456789abcdef"
# a bucket of at most this many records on either side is read, not split
LEAF_SIZE = 8
# Odoo's side of a checksum reconciliation (a temporary table of the transaction)
ODOO_SIDE = "mfg_integration_recon_odoo_side"
RECON_METHODS = [("extract", "Extract"), ("checksum", "Checksums")]
LINE_KINDS = [
    ("missing_in_odoo", "Missing in Odoo"),
    ("missing_in_system", "Missing in the system"),
    ("different", "Different"),
]


def tsv(value):
    """One field of COPY's text format."""
    if value is None or value is False:
        return r"\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def in_bucket(key_hash, prefix):
    """SQL: the key hash falls in the bucket of prefix (a range of the index)."""
    return SQL(
        """(%(key)s COLLATE "C" >= %(prefix)s AND %(key)s COLLATE "C" < %(prefix)s || 'g')""",
        key=key_hash,
        prefix=prefix,
    )


class MfgIntegrationRecon(models.Model):
    _name = "mfg.integration.recon"
    _description = "Reconciliation"
    _inherit = ["mail.thread", "mfg.integration.retryable"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    job_id = fields.Many2one(
        "mfg.integration.sync.job", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    system_id = fields.Many2one(related="job_id.system_id", store=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="running",
        required=True,
        readonly=True,
        tracking=True,
    )
    method = fields.Selection(RECON_METHODS, required=True, default="extract", readonly=True)
    started_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    finished_at = fields.Datetime(readonly=True)
    system_count = fields.Integer(string="System Records", readonly=True)
    odoo_count = fields.Integer(string="Odoo Records", readonly=True)
    records_read = fields.Integer(
        string="System Records Read",
        readonly=True,
        help="Records read from the system: all of them by extract; by checksums, only "
        "those of the buckets that disagree.",
    )
    request_count = fields.Integer(string="Requests", readonly=True)
    missing_in_odoo_count = fields.Integer(string="Missing in Odoo", readonly=True)
    missing_in_system_count = fields.Integer(string="Missing in System", readonly=True)
    different_count = fields.Integer(string="Different", readonly=True)
    open_count = fields.Integer(string="Open Lines", compute="_compute_open_count")
    error = fields.Text(readonly=True)
    line_ids = fields.One2many("mfg.integration.recon.line", "recon_id", readonly=True)

    def _compute_name(self):
        for recon in self:
            recon.name = _("%(job)s reconciliation #%(id)s", job=recon.job_id.name, id=recon.id)

    @api.depends("line_ids.state")
    def _compute_open_count(self):
        counts = dict(
            self.env["mfg.integration.recon.line"]._read_group(
                [("recon_id", "in", self.ids), ("state", "=", "open")], ["recon_id"], ["__count"]
            )
        )
        for recon in self:
            recon.open_count = counts.get(recon, 0)

    def init(self):
        # staging rows are scratch: unlogged (no WAL), gone after each comparison
        self.env.cr.execute(
            SQL(
                """CREATE UNLOGGED TABLE IF NOT EXISTS %s (
                       recon_id integer NOT NULL,
                       product varchar NOT NULL,
                       location varchar NOT NULL,
                       lot varchar NOT NULL DEFAULT '',
                       quantity numeric NOT NULL,
                       unit varchar
                   );
                   CREATE INDEX IF NOT EXISTS %s ON %s (recon_id);
                   CREATE UNLOGGED TABLE IF NOT EXISTS %s (
                       recon_id integer NOT NULL,
                       prefix varchar NOT NULL
                   )""",
                SQL.identifier(STAGING),
                SQL.identifier(f"{STAGING}_recon_id_idx"),
                SQL.identifier(STAGING),
                SQL.identifier(RANGES),
            )
        )

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------
    @api.model
    def _reconcile(self, job):
        """Reconcile a sync job's system with Odoo now; return the report."""
        recon = self.sudo().create(
            {"job_id": job.id, "company_id": job.company_id.id, "method": job.recon_method}
        )
        try:
            if recon.method == "checksum":
                recon._bisect()
            else:
                recon.system_count = recon.records_read = recon._stream_extract()
        except SyncFailure as failure:
            recon._drop_staging()
            recon.write(
                {"state": "failed", "error": str(failure), "finished_at": fields.Datetime.now()}
            )
            return recon
        recon._compare()
        recon._drop_staging()
        recon._check_threshold()
        return recon

    def _stream_extract(self):
        """COPY the system's full feed into the staging table, page by page."""
        run = self.env["mfg.integration.sync.run"].new({"job_id": self.job_id.id})
        position, total = ("", 0), 0
        while True:
            page = run._fetch(position)
            self._copy_records(
                page["records"], _("the extract's page at %s", cursor_text(position))
            )
            total += len(page["records"])
            following = page["next"]
            if not following:
                return total
            position = (following["updated_since"], following["after_id"])

    def _copy_records(self, records, where):
        """COPY records into the staging table."""
        buffer = io.StringIO()
        for record in records:
            values = (
                self.id,
                record.get("product"),
                record.get("location"),
                record.get("lot") or "",
                record.get("quantity"),
                record.get("unit"),
            )
            buffer.write("\t".join(tsv(value) for value in values) + "\n")
        buffer.seek(0)
        try:
            self.env.cr._obj.copy_expert(
                f"COPY {STAGING} (recon_id, product, location, lot, quantity, unit) FROM STDIN",
                buffer,
            )
        except Exception as error:  # a record COPY refuses: the answer is not usable
            raise SyncFailure(
                _("%(where)s has an unreadable record: %(error)s", where=where, error=error)
            ) from error

    # ------------------------------------------------------------------
    # Checksums
    # ------------------------------------------------------------------
    def _bisect(self):
        """Compare bucket checksums from the whole key space down, 16 buckets
        per level (key-hash prefixes), and read the records of the buckets
        that disagree once they are small; those prefixes bound the
        comparison."""
        self.env.flush_all()  # Odoo's side is read in SQL
        # Odoo's side aggregated once, indexed by key hash: each bucket is then a range
        self.env.cr.execute(
            SQL(
                """DROP TABLE IF EXISTS %(odoo)s;
                   CREATE TEMP TABLE %(odoo)s ON COMMIT DROP AS %(odoo_side)s;
                   CREATE INDEX ON %(odoo)s ((key_hash COLLATE "C"));
                   ANALYZE %(odoo)s""",
                odoo=SQL.identifier(ODOO_SIDE),
                odoo_side=self._odoo_side(),
            )
        )
        base = self.job_id.endpoint_url.rstrip("/")
        pending, leaves, requests_made = [""], [], 0
        while pending:
            prefix = pending.pop()
            theirs = self._get_json(f"{base}/checksums", prefix)["buckets"]
            requests_made += 1
            if not prefix:
                self.system_count = sum(bucket["count"] for bucket in theirs.values())
            ours = self._odoo_checksums(prefix)
            for child in {*theirs, *ours}:
                their = theirs.get(child, {"count": 0, "checksum": "0"})
                our = ours.get(child, {"count": 0, "checksum": "0"})
                if (their["count"], str(their["checksum"])) == (our["count"], our["checksum"]):
                    continue
                if max(their["count"], our["count"]) <= LEAF_SIZE or len(child) >= 32:
                    leaves.append(child)
                else:
                    pending.append(child)
        read = 0
        for prefix in leaves:
            records = self._get_json(f"{base}/range", prefix)["records"]
            requests_made += 1
            self._copy_records(records, _("bucket %s", prefix))
            read += len(records)
        if leaves:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (recon_id, prefix) SELECT %s, unnest(%s::varchar[])",
                    SQL.identifier(RANGES),
                    self.id,
                    leaves,
                )
            )
        self.write({"records_read": read, "request_count": requests_made})

    def _get_json(self, url, prefix):
        job = self.job_id
        try:
            response = requests.get(url, params={"prefix": prefix}, timeout=job.timeout)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as error:
            raise SyncFailure(
                _("%(url)s (prefix '%(prefix)s'): %(error)s", url=url, prefix=prefix, error=error)
            ) from error

    def _odoo_checksums(self, prefix):
        """Odoo's buckets below prefix, computed like the system's (see
        demo/fake_wms.py: the sum of the first 60 bits of md5(key|quantity))."""
        self.env.cr.execute(
            SQL(
                """SELECT left(o.key_hash, %(depth)s), count(*),
                          mod(sum(('x' || substr(md5(o.product || '|' || o.location || '|'
                                || o.lot || '|' || o.quantity::text), 1, 15))::bit(60)::bigint
                                ::numeric), %(modulus)s)::text
                     FROM %(odoo)s o
                    WHERE %(in_bucket)s
                    GROUP BY 1""",
                depth=len(prefix) + 1,
                modulus=2**60,
                odoo=SQL.identifier(ODOO_SIDE),
                in_bucket=in_bucket(SQL("o.key_hash"), SQL("%s", prefix)),
            )
        )
        return {
            child: {"count": count, "checksum": checksum}
            for child, count, checksum in self.env.cr.fetchall()
        }

    def _drop_staging(self):
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(ODOO_SIDE)))
        self.env.cr.execute(
            SQL("DELETE FROM %s WHERE recon_id = %s", SQL.identifier(RANGES), self.id)
        )
        self.env.cr.execute(
            SQL("DELETE FROM %s WHERE recon_id = %s", SQL.identifier(STAGING), self.id)
        )

    def _compare(self):
        """Write the differences as lines, in SQL; count both sides."""
        system = self.system_id
        types = self.env["mfg.integration.object.type"]
        now = fields.Datetime.now()
        self.env.flush_all()
        # the staging rows were just copied: without statistics the planner takes
        # them for a handful and joins a million of them row by row
        self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(STAGING)))
        self.env.cr.execute(
            SQL(
                """
WITH units AS (
    SELECT line.external_code, split_part(line.record_ref, ',', 2)::integer AS uom_id
      FROM mfg_integration_value_map_line line
     WHERE line.system_id = %(system)s AND line.domain = 'uom' AND line.active
       AND line.record_ref LIKE %(uom_records)s
),
system_side AS (
    SELECT e.product, e.location, e.lot, e.unit, e.quantity AS raw_quantity,
           px.res_id AS product_id, lx.res_id AS location_id,
           round((e.quantity / unit_uom.factor * product_uom.factor)::numeric, 4) AS quantity
      FROM %(staging)s e
      LEFT JOIN mfg_integration_xref px
             ON px.system_id = %(system)s AND px.object_type_id = %(product_type)s
            AND px.external_id = e.product
      LEFT JOIN product_product pp ON pp.id = px.res_id
      LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
      LEFT JOIN uom_uom product_uom ON product_uom.id = pt.uom_id
      LEFT JOIN mfg_integration_xref lx
             ON lx.system_id = %(system)s AND lx.object_type_id = %(location_type)s
            AND lx.external_id = e.location
      LEFT JOIN units ON units.external_code = e.unit
      LEFT JOIN uom_uom unit_uom ON unit_uom.id = units.uom_id
     WHERE e.recon_id = %(recon)s AND e.quantity <> 0
),
odoo_side AS (%(odoo_side)s),
compared AS (
    SELECT coalesce(s.product, o.product) AS product,
           coalesce(s.location, o.location) AS location,
           coalesce(s.lot, o.lot) AS lot,
           coalesce(s.product_id, o.product_id) AS product_id,
           coalesce(s.location_id, o.location_id) AS location_id,
           CASE WHEN s.product IS NULL THEN 'missing_in_system'
                WHEN o.product IS NULL THEN 'missing_in_odoo'
                ELSE 'different' END AS kind,
           CASE WHEN s.product_id IS NOT NULL AND s.quantity IS NULL THEN 'unit'
                ELSE 'quantity' END AS field,
           o.quantity AS odoo_value, coalesce(s.quantity, s.raw_quantity) AS system_value,
           s.raw_quantity, s.unit,
           md5(coalesce(s.quantity::text, s.unit, '')) AS system_hash,
           md5(coalesce(o.quantity::text, '')) AS odoo_hash
      FROM system_side s
      FULL OUTER JOIN odoo_side o
        ON o.product = s.product AND o.location = s.location AND o.lot = s.lot
)
INSERT INTO mfg_integration_recon_line (
    recon_id, company_id, kind, field, product_code, location_code, lot,
    product_id, location_id, odoo_value, system_value, system_quantity, system_unit,
    state, create_uid, write_uid, create_date, write_date)
SELECT %(recon)s, %(company)s, kind, field, product, location, lot,
       product_id, location_id, odoo_value, system_value, raw_quantity, unit,
       'open', %(uid)s, %(uid)s, %(now)s, %(now)s
  FROM compared
 WHERE system_hash <> odoo_hash
""",
                staging=SQL.identifier(STAGING),
                odoo_side=self._odoo_side_read(),
                uom_records="uom.uom,%",
                system=system.id,
                product_type=types.search([("code", "=", "product")], limit=1).id,
                location_type=types.search([("code", "=", "location")], limit=1).id,
                recon=self.id,
                company=self.company_id.id,
                uid=self.env.uid,
                now=now,
            )
        )
        self.env.cr.execute(SQL("SELECT count(*) FROM (%s) o", self._odoo_side()))
        odoo_count = self.env.cr.fetchone()[0]
        self.env.invalidate_all()
        counts = dict(
            self.env["mfg.integration.recon.line"]._read_group(
                [("recon_id", "=", self.id)], ["kind"], ["__count"]
            )
        )
        self.write(
            {
                "state": "done",
                "finished_at": fields.Datetime.now(),
                "odoo_count": odoo_count,
                "missing_in_odoo_count": counts.get("missing_in_odoo", 0),
                "missing_in_system_count": counts.get("missing_in_system", 0),
                "different_count": counts.get("different", 0),
            }
        )

    def _odoo_side_read(self):
        """Odoo's side as the comparison reads it: all of it after an extract;
        after checksums, the rows of the buckets that disagree."""
        if self.method != "checksum":
            return self._odoo_side()
        return SQL(
            "SELECT o.* FROM %(ranges)s r JOIN %(odoo)s o ON %(in_bucket)s "
            "WHERE r.recon_id = %(recon)s",
            ranges=SQL.identifier(RANGES),
            odoo=SQL.identifier(ODOO_SIDE),
            in_bucket=in_bucket(SQL("o.key_hash"), SQL("r.prefix")),
            recon=self.id,
        )

    def _odoo_side(self):
        """SQL of Odoo's stock in the system's keys: product, location, lot
        (through its cross-references), quantity (4 decimals) and key hash."""
        types = self.env["mfg.integration.object.type"]
        return SQL(
            """
    SELECT px.external_id AS product, lx.external_id AS location,
           coalesce(lot.name, '') AS lot, q.product_id, q.location_id,
           round(sum(q.quantity)::numeric, 4) AS quantity,
           md5(px.external_id || '|' || lx.external_id || '|' || coalesce(lot.name, ''))
               AS key_hash
      FROM stock_quant q
      JOIN mfg_integration_xref px
        ON px.system_id = %(system)s AND px.object_type_id = %(product_type)s
       AND px.res_id = q.product_id
      JOIN mfg_integration_xref lx
        ON lx.system_id = %(system)s AND lx.object_type_id = %(location_type)s
       AND lx.res_id = q.location_id
      LEFT JOIN stock_lot lot ON lot.id = q.lot_id
     WHERE q.company_id = %(company)s
     GROUP BY 1, 2, 3, 4, 5
    HAVING round(sum(q.quantity)::numeric, 4) <> 0""",
            system=self.system_id.id,
            product_type=types.search([("code", "=", "product")], limit=1).id,
            location_type=types.search([("code", "=", "location")], limit=1).id,
            company=self.company_id.id,
        )

    def _check_threshold(self):
        differences = len(self.line_ids)
        threshold = self.job_id.recon_threshold
        if differences > threshold:
            self.env["mfg.integration.incident"]._report(
                "recon_differences",
                _(
                    "%(job)s: %(count)s differences with %(system)s (threshold %(threshold)s)",
                    job=self.job_id.name,
                    count=differences,
                    system=self.system_id.code,
                    threshold=threshold,
                ),
                key=f"recon|{self.job_id.id}",
                system=self.system_id or None,
                source=self,
                detail=self._summary(),
            )

    def _summary(self):
        lines = self.line_ids[:50]
        text = "\n".join(
            f"{line.kind}: {line.product_code}|{line.location_code}|{line.lot or ''} "
            f"{line.field}: Odoo {line.odoo_value}, system {line.system_value}"
            for line in lines
        )
        more = len(self.line_ids) - len(lines)
        return text + (f"\n... and {more} more" if more > 0 else "")

    # retryable source: the exception app's Retry reconciles again
    def _integration_retry(self):
        self.ensure_one()
        again = self._reconcile(self.job_id)
        return again.state == "done" and not again.line_ids

    def _integration_succeeded(self):
        return self.state == "done" and not self.open_count

    def action_view_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "mfg.integration.recon.line",
            "view_mode": "list,pivot,form",
            "domain": [("recon_id", "=", self.id)],
        }
