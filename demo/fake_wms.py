"""Fake WMS: stock on hand per product, location and lot, served the way a real
WMS's REST API pages its changes, with faults to switch on for tests.

    python demo/fake_wms.py --port 8073

    GET  /stock?updated_since=<ISO>&after_id=<n>&limit=<n>   a page of changes
    POST /stock  {"records": [...]}                         a client pushes values
    GET  /stock/checksums?prefix=<hex>                      bucket counts and checksums
    GET  /stock/range?prefix=<hex>                          the rows of one bucket
    GET  /_records                                          everything it holds
    POST /_records  {"records": [...]}                      add or change rows
    POST /_faults   {"fail": 1, "timeout": 1, "malformed": 1,
                     "repeat_cursor": 1, "retry_after": 1, "delay": 0.5}
    GET  /_requests                                         pages served

A page holds the records changed after the cursor (``updated_since`` and the
last record's id as tie-breaker), oldest first; ``next`` is the cursor of the
next page, or null on the last one. Each fault counter answers that many
requests wrongly, then the WMS behaves again.
"""

import argparse
import bisect
import hashlib
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FAULTS = ("fail", "timeout", "malformed", "repeat_cursor", "retry_after")
EPOCH = "1970-01-01T00:00:00Z"


def iso(moment):
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def demo_records():
    """The demo plant's stock as its WMS (WMS-01) holds it. The plant's sync job
    has pulled everything up to midnight of 2026-01-05; the three changes of
    that night follow it. Planted: HSG10 counted 395 on A-01-01 (Odoo: 400),
    120 kg of STL50 on LINE-1 that Odoo lacks, and no lot GX-INIT-001 of GX100
    (Odoo: 40), all from before the cursor, so the nightly pull leaves them
    for the reconciliation to find (see the README's walkthrough)."""

    def row(product, location, quantity, unit, stamp, lot=None):
        return {
            "product": product,
            "location": location,
            "lot": lot,
            "quantity": quantity,
            "unit": unit,
            "updated_at": stamp,
        }

    before = "2026-01-04T18:%02d:00Z"
    night = "2026-01-05T02:%02d:00Z"
    return [
        row("HSG10", "A-01-01", 395, "PCE", before % 0),
        row("STL50", "A-01-01", 600, "KG", before % 1),
        row("STL50", "LINE-1", 120, "KG", before % 2),
        *(
            row("BRG30", "A-01-01", 500, "PCE", before % (3 + n), lot=f"BRG-2026-{n:02d}")
            for n in range(1, 4)
        ),
        *(
            row("MTR40", "A-01-01", 1, "PCE", before % (10 + n), lot=f"MTR-{n:05d}")
            for n in range(1, 11)
        ),
        # the night's changes: what the nightly pull reads
        row("SHF20", "A-01-01", 810, "PCE", night % 0),
        row("BRG30", "A-01-01", 200, "PCE", night % 1, lot="BRG-2026-04"),
        row("HSG10", "LINE-1", 30, "PCE", night % 2),
    ]


class FakeWms:
    def __init__(self, records=(), timeout_seconds=5.0):
        self.lock = threading.Lock()
        self.rows = {}  # id: row
        self.next_id = 1
        self.faults = dict.fromkeys(FAULTS, 0)
        self.delay = 0.0
        self.timeout_seconds = timeout_seconds
        self.requests = []
        self.upsert(records)

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------
    @staticmethod
    def key(row):
        return (row["product"], row["location"], row.get("lot") or "")

    def upsert(self, records):
        """Add rows, or change the row of the same product, location and lot
        (it keeps its id; the record's updated_at is taken as given)."""
        with self.lock:
            by_key = {self.key(row): row for row in self.rows.values()}
            for record in records:
                row = by_key.get(self.key(record))
                if row is None:
                    row = {"id": self.next_id}
                    self.next_id += 1
                    self.rows[row["id"]] = row
                    by_key[self.key(record)] = row
                row.update({key: value for key, value in record.items() if key != "id"})
                row.setdefault("lot", None)

    def page(self, updated_since, after_id, limit):
        with self.lock:
            ordered = sorted(self.rows.values(), key=lambda row: (row["updated_at"], row["id"]))
            since = parse(updated_since)
            found = [
                dict(row)
                for row in ordered
                if (parse(row["updated_at"]), row["id"]) > (since, after_id)
            ]
        records = found[:limit]
        last = records[-1] if records else None
        more = len(found) > limit
        next_cursor = (
            {"updated_since": last["updated_at"], "after_id": last["id"]} if more else None
        )
        return {"records": records, "next": next_cursor}

    # ------------------------------------------------------------------
    # Checksums: buckets of the rows by the md5 of their key, as hex prefixes
    # ------------------------------------------------------------------
    def checksums(self, prefix):
        """{child prefix: {"count", "checksum"}} of the 16 buckets below prefix
        (rows of a non-zero quantity; empty buckets are left out)."""
        buckets = {}
        for row in self.holding(prefix):
            child = key_hash(row)[: len(prefix) + 1]
            bucket = buckets.setdefault(child, {"count": 0, "checksum": 0})
            bucket["count"] += 1
            bucket["checksum"] = (bucket["checksum"] + row_checksum(row)) % CHECKSUM_MODULUS
        return {
            child: {"count": b["count"], "checksum": str(b["checksum"])}
            for child, b in buckets.items()
        }

    def holding(self, prefix):
        """The rows of a non-zero quantity whose key hash starts with prefix."""
        with self.lock:
            rows = [dict(row) for row in self.rows.values()]
        return [row for row in rows if row["quantity"] and key_hash(row).startswith(prefix)]

    # ------------------------------------------------------------------
    # Faults
    # ------------------------------------------------------------------
    def set_faults(self, settings):
        with self.lock:
            for name in FAULTS:
                if name in settings:
                    self.faults[name] = int(settings[name])
            if "delay" in settings:
                self.delay = float(settings["delay"])

    def take_fault(self):
        with self.lock:
            for name in FAULTS:
                if self.faults[name] > 0:
                    self.faults[name] -= 1
                    return name
        return None

    # ------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------
    def answer_stock(self, query):
        """(status, headers, body bytes) of one GET /stock."""
        updated_since = query.get("updated_since", [EPOCH])[0]
        after_id = int(query.get("after_id", ["0"])[0] or 0)
        limit = max(1, min(int(query.get("limit", ["100"])[0] or 100), 10000))
        with self.lock:
            self.requests.append({"updated_since": updated_since, "after_id": after_id})
        if self.delay:
            time.sleep(self.delay)
        fault = self.take_fault()
        if fault == "fail":
            return 500, {}, b'{"error": "internal server error"}'
        if fault == "timeout":
            time.sleep(self.timeout_seconds)
        if fault == "retry_after":
            return 503, {"Retry-After": "1"}, b'{"error": "busy, come back later"}'
        if fault == "malformed":
            return 200, {}, b'{"records": [{"product": "CMP-1", "quantity": '
        page = self.page(updated_since, after_id, limit)
        if fault == "repeat_cursor":
            page["next"] = {"updated_since": updated_since, "after_id": after_id}
        return 200, {}, json.dumps(page).encode()

    def answer_get(self, path, query):
        """(status, headers, body bytes) of a GET."""
        if path == "/stock":
            return self.answer_stock(query)
        if path in ("/stock/checksums", "/stock/range"):
            prefix = query.get("prefix", [""])[0].lower()
            if any(char not in "0123456789abcdef" for char in prefix):
                return 400, {}, b'{"error": "prefix: hexadecimal digits"}'
            if path == "/stock/checksums":
                answer = {"prefix": prefix, "buckets": self.checksums(prefix)}
            else:
                answer = {"prefix": prefix, "records": self.holding(prefix)}
            with self.lock:
                self.requests.append({"path": path, "prefix": prefix})
            return 200, {}, json.dumps(answer).encode()
        with self.lock:
            if path == "/_records":
                rows = sorted(self.rows.values(), key=lambda row: row["id"])
                return 200, {}, json.dumps({"records": rows}).encode()
            if path == "/_requests":
                return 200, {}, json.dumps({"requests": self.requests}).encode()
        return 404, {}, b'{"error": "not found"}'

    def handler(self):
        wms = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout fault)

            def do_GET(self):
                url = urlparse(self.path)
                status, headers, body = wms.answer_get(url.path, parse_qs(url.query))
                return self._send(status, body, headers)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return self._send(400, b'{"error": "not JSON"}')
                if self.path == "/stock":
                    # what a client pushes: its values, changed now
                    records = body.get("records") if isinstance(body, dict) else None
                    if not isinstance(records, list) or not all(
                        isinstance(r, dict) and r.get("product") and r.get("location")
                        for r in records
                    ):
                        return self._send(422, b'{"error": "records of product and location"}')
                    stamp = iso(datetime.now(timezone.utc))
                    wms.upsert([{**record, "updated_at": stamp} for record in records])
                    return self._send(200, json.dumps({"accepted": len(records)}).encode())
                if self.path == "/_records":
                    wms.upsert(body.get("records", []))
                    return self._send(200, b'{"ok": true}')
                if self.path == "/_faults":
                    wms.set_faults(body)
                    return self._send(200, b'{"ok": true}')
                return self._send(404, b'{"error": "not found"}')

        return Handler


CHECKSUM_MODULUS = 2**60


class GeneratedWms(FakeWms):
    """A WMS of many rows made up on demand (the benchmark's million): row i
    is product GP<i mod 1000>, location GL<i div 1000>, quantity i mod 97 + 1,
    changed at START + i seconds, id i + 1. Of the first ``count`` rows,
    ``missing`` are left out and ``changed`` answer one more; ``extra`` rows
    follow them. Pages are cut from the indexes; the checksum buckets come
    from the rows' key hashes, sorted once, and running sums of their
    checksums: a bucket is two binary searches. Read-only."""

    START = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __init__(self, count, missing=(), changed=(), extra=0, timeout_seconds=5.0):
        super().__init__(timeout_seconds=timeout_seconds)
        self.count, self.total = count, count + extra
        self.missing, self.changed = frozenset(missing), frozenset(changed)
        self.sorted_hashes = None

    @classmethod
    def odoo_row(cls, index):
        """(product, location, quantity) of row index as Odoo holds it."""
        return f"GP{index % 1000:04d}", f"GL{index // 1000:04d}", index % 97 + 1

    def row(self, index):
        product, location, quantity = self.odoo_row(index)
        return {
            "id": index + 1,
            "product": product,
            "location": location,
            "lot": None,
            "quantity": quantity + (1 if index in self.changed else 0),
            "unit": "EA",
            "updated_at": iso(self.START + timedelta(seconds=index)),
        }

    def upsert(self, records):
        if records:
            raise ValueError("a generated WMS is read-only")

    def page(self, updated_since, after_id, limit):
        since = parse(updated_since) - self.START
        index = max(after_id, int(since.total_seconds()) + 1 if since.total_seconds() >= 0 else 0)
        records = []
        while index < self.total and len(records) < limit:
            if index not in self.missing:
                records.append(self.row(index))
            index += 1
        last = records[-1] if records else None
        more = last is not None and index < self.total
        next_cursor = (
            {"updated_since": last["updated_at"], "after_id": last["id"]} if more else None
        )
        return {"records": records, "next": next_cursor}

    def _sorted(self):
        with self.lock:
            if self.sorted_hashes is None:
                held = sorted(
                    (key_hash(row), row_checksum(row), index)
                    for index in range(self.total)
                    if index not in self.missing
                    for row in (self.row(index),)
                )
                self.sorted_hashes = [entry[0] for entry in held]
                self.sorted_indexes = [entry[2] for entry in held]
                running, self.running_sums = 0, [0]
                for entry in held:
                    running += entry[1]
                    self.running_sums.append(running)
            return self.sorted_hashes

    def _span(self, prefix):
        hashes = self._sorted()
        low = bisect.bisect_left(hashes, prefix)
        high = bisect.bisect_left(hashes, prefix + "g") if prefix else len(hashes)
        return low, high

    def checksums(self, prefix):
        buckets = {}
        for digit in "0123456789abcdef":
            low, high = self._span(prefix + digit)
            if high > low:
                checksum = (self.running_sums[high] - self.running_sums[low]) % CHECKSUM_MODULUS
                buckets[prefix + digit] = {"count": high - low, "checksum": str(checksum)}
        return buckets

    def holding(self, prefix):
        low, high = self._span(prefix)
        return [self.row(index) for index in self.sorted_indexes[low:high]]


def key_hash(row):
    """md5 of product|location|lot: where a row falls in the checksum buckets."""
    key = f"{row['product']}|{row['location']}|{row.get('lot') or ''}"
    return hashlib.md5(key.encode()).hexdigest()


def row_checksum(row):
    """A row's part of its bucket's checksum: its key and quantity (4 decimals)."""
    text = f"{row['product']}|{row['location']}|{row.get('lot') or ''}|{float(row['quantity']):.4f}"
    return int(hashlib.md5(text.encode()).hexdigest()[:15], 16)


def parse(value):
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def serve(wms, port, host="127.0.0.1"):
    """Start serving in a thread; return the server (``shutdown()`` stops it)."""
    server = ThreadingHTTPServer((host, port), wms.handler())
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8073)
    arguments = parser.parse_args()
    wms = FakeWms(demo_records())
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), wms.handler())
    print(f"Fake WMS on http://127.0.0.1:{arguments.port}/stock ({len(wms.rows)} rows)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
