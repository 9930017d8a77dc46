"""Plant simulator: plays MES-01, WMS-01 and the supplier portal against the
suite's REST API, with their own keys and codes.

    python demo/simulator.py --rate 2 --duration 60
    python demo/simulator.py --scenario short     # the scripted run of the tests

It releases production orders and confirms them (sometimes with a variance),
reports inventory movements (sometimes with a unit nobody mapped), confirms
purchase orders and posts receipts, holds and releases lots, and confirms
shipments. It prints its progress and, at the end, requests, outcomes and
latencies per action.
"""

import argparse
import itertools
import json
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

API = "/api/mfg/v1"


class Plant:
    """The outside world's view of the plant: its own ids, and what it did."""

    def __init__(self, base_url, credentials, seed=None):
        self.base_url = base_url.rstrip("/")
        self.keys = credentials["keys"]
        self.purchase_orders = list(credentials.get("purchase_orders", []))
        self.deliveries = list(credentials.get("deliveries", []))
        self.run = uuid.uuid4().hex[:6].upper()
        self.random = random.Random(seed)
        self.counter = itertools.count(1)
        self.released = []  # (order id, product, quantity)
        self.produced_lots = []  # (lot, product)
        self.held_lots = []
        self.confirmed_orders = []
        self.results = []  # (action, status, latency ms, problem type)
        self.lock = threading.Lock()
        self.sessions = {system: requests.Session() for system in self.keys}

    # ------------------------------------------------------------------
    def call(self, action, system, method, path, body=None, idempotency_key=None):
        headers = {"Authorization": f"Bearer {self.keys[system]}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        started = time.perf_counter()
        for attempt in range(3):
            try:
                response = self.sessions[system].request(
                    method, self.base_url + API + path, json=body, headers=headers, timeout=60
                )
            except requests.ConnectionError:
                if attempt == 2:
                    raise
                time.sleep(1)
                continue
            if response.status_code in (429, 503) and attempt < 2:
                time.sleep(float(response.headers.get("Retry-After", 1)))
                continue
            break
        latency = (time.perf_counter() - started) * 1000
        problem = None
        if response.status_code >= 400:
            try:
                problem = response.json().get("type", "").rsplit("/", 1)[-1]
            except ValueError:
                problem = "not-json"
        with self.lock:
            self.results.append((action, response.status_code, latency, problem))
        return response

    # ------------------------------------------------------------------
    # What the systems do
    # ------------------------------------------------------------------
    def release_order(self, product=None, quantity=None):
        number = next(self.counter)
        order_id = f"SIM-{self.run}-{number:04d}"
        product = product or self.random.choice(["FG-GX100", "FG-PM200"])
        quantity = quantity or self.random.randint(2, 12)
        body = {"id": order_id, "product": product, "quantity": quantity, "unit": "EA"}
        response = self.call(
            "release order", "MES-01", "POST", "/production-orders", body, f"rel-{order_id}"
        )
        if response.status_code == 201:
            self.released.append((order_id, product, quantity))
        return response

    def confirm_production(self, variance=None):
        if not self.released:
            return self.release_order()
        order_id, product, quantity = self.released.pop(0)
        short = variance if variance is not None else self.random.random() < 0.2
        produced = max(1, int(quantity * 0.7)) if short else quantity
        lot = f"L{self.run}-{order_id[-4:]}"
        body = {"produced_quantity": produced, "lot": lot, "final": True}
        if short:
            body.update(scrapped_quantity=1, scrap_reason="SCR-01")
        response = self.call(
            "confirm production",
            "MES-01",
            "POST",
            f"/production-orders/{order_id}/confirmations",
            body,
            f"conf-{order_id}",
        )
        if response.status_code < 300:
            self.produced_lots.append((lot, product))
        return response

    def report_movements(self, unmapped_unit=None):
        unmapped = unmapped_unit if unmapped_unit is not None else self.random.random() < 0.15
        movements = [
            {
                "type": "move",
                "product": self.random.choice(["HSG10", "SHF20"]),
                "quantity": self.random.randint(1, 5),
                "unit": "PCE",
                "from_location": "A-01-01",
                "to_location": "LINE-1",
            }
        ]
        if unmapped:
            movements.append(
                {
                    "type": "count",
                    "product": "STL50",
                    "quantity": 20,
                    "unit": "LBR",
                    "location": "LINE-1",
                }
            )
        response = self.call(
            "report movements",
            "WMS-01",
            "POST",
            "/inventory/movements",
            {"movements": movements},
            f"mov-{uuid.uuid4()}",
        )
        return response

    def check_availability(self):
        product = self.random.choice(["HSG10", "SHF20", "GX100"])
        return self.call(
            "check availability",
            "WMS-01",
            "GET",
            f"/inventory/availability?product={product}&location=A-01-01",
        )

    def confirm_purchase(self):
        if not self.purchase_orders:
            return None
        order = self.purchase_orders.pop(0)
        response = self.call(
            "confirm purchase order",
            "SUP-PORTAL",
            "POST",
            f"/purchase-orders/{order}/confirmations",
            {"status": "accepted", "supplier_reference": f"SO-{self.run}-{order}"},
            f"poc-{self.run}-{order}",
        )
        if response.status_code < 300:
            self.confirmed_orders.append(order)
        return response

    def post_receipt(self):
        if not self.confirmed_orders:
            return self.confirm_purchase()
        order = self.confirmed_orders.pop(0)
        body = {
            "purchase_order": order,
            "reference": f"ASN-{self.run}-{order}",
            "lines": [
                {"product": "ACME-H10", "quantity": 50, "unit": "C62"},
                {"product": "ACME-S20", "quantity": 100, "unit": "EA"},
            ],
        }
        return self.call(
            "post receipt", "SUP-PORTAL", "POST", "/receipts", body, f"rcp-{self.run}-{order}"
        )

    def hold_lot(self, lot=None, product="FG-GX100"):
        if lot is None:
            if not self.produced_lots:
                return None
            lot, product = self.produced_lots.pop(0)
        body = {"lot": lot, "product": product, "reason": "Porosity found at final test"}
        response = self.call("hold lot", "MES-01", "POST", "/quality/holds", body)
        if response.status_code < 300:
            self.held_lots.append((lot, product))
        return response

    def release_lot(self):
        if not self.held_lots:
            return None
        lot, product = self.held_lots.pop(0)
        return self.call(
            "release lot", "MES-01", "POST", "/quality/releases", {"lot": lot, "product": product}
        )

    def confirm_shipment(self):
        if not self.deliveries:
            return None
        reference = self.deliveries.pop(0)
        return self.call(
            "confirm shipment",
            "WMS-01",
            "POST",
            f"/shipments/{requests.utils.quote(reference, safe='')}/confirmations",
            {"tracking_reference": f"1Z{self.random.randint(10**8, 10**9)}", "carrier": "UPS"},
            f"shp-{self.run}-{reference}",
        )

    # ------------------------------------------------------------------
    def random_step(self):
        actions = [
            (self.release_order, 4),
            (self.confirm_production, 4),
            (self.report_movements, 3),
            (self.check_availability, 2),
            (self.confirm_purchase, 1),
            (self.post_receipt, 1),
            (self.confirm_shipment, 1),
            (self.hold_lot, 0.5),
            (self.release_lot, 0.5),
        ]
        action = self.random.choices([a for a, _w in actions], [w for _a, w in actions])[0]
        return action()

    def short_scenario(self):
        """The scripted run: what the end-to-end test expects, step by step."""
        self.release_order("FG-GX100", 10)
        self.release_order("FG-PM200", 5)
        self.confirm_production(variance=False)  # 10 of 10: no variance
        self.confirm_production(variance=True)  # 3 of 5 and 1 scrapped: a variance
        self.report_movements(unmapped_unit=False)
        self.report_movements(unmapped_unit=True)  # 'LBR' is not mapped: an exception
        self.confirm_purchase()
        self.post_receipt()
        self.confirm_shipment()
        self.hold_lot("GX-INIT-001", "FG-GX100")  # reserved for deliveries: an exception
        self.release_lot()
        self.check_availability()

    # ------------------------------------------------------------------
    def summary(self):
        by_action = {}
        for action, status, latency, problem in self.results:
            row = by_action.setdefault(action, {"requests": 0, "statuses": {}, "latencies": []})
            row["requests"] += 1
            key = f"{status}" + (f" {problem}" if problem else "")
            row["statuses"][key] = row["statuses"].get(key, 0) + 1
            row["latencies"].append(latency)
        return by_action


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def print_summary(plant, elapsed, out=sys.stdout):
    summary = plant.summary()
    total = sum(row["requests"] for row in summary.values())
    print(f"\n{total} requests in {elapsed:.0f} s ({total / max(elapsed, 1e-9):.1f}/s)", file=out)
    print(f"{'action':<24}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}  outcomes", file=out)
    for action, row in sorted(summary.items()):
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(row["statuses"].items()))
        print(
            f"{action:<24}{row['requests']:>9}{statistics.median(row['latencies']):>9.0f}"
            f"{percentile(row['latencies'], 0.95):>9.0f}  {outcomes}",
            file=out,
        )


def progress(plant, started, out=sys.stderr):
    """One line every few seconds (the receiver may print to the same terminal)."""
    results = list(plant.results)
    ok = sum(1 for r in results if r[1] < 400)
    client = sum(1 for r in results if 400 <= r[1] < 500)
    server = sum(1 for r in results if r[1] >= 500)
    p50 = statistics.median([r[2] for r in results]) if results else 0
    print(
        f"[simulator {time.monotonic() - started:4.0f} s] {len(results)} requests  "
        f"ok {ok}  refused {client}  failed {server}  p50 {p50:.0f} ms",
        file=out,
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--credentials", default=".state/demo-credentials.json")
    parser.add_argument("--rate", type=float, default=2.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--scenario", choices=["random", "short"], default="random")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    credentials = json.loads(Path(args.credentials).read_text())
    plant = Plant(args.url, credentials, seed=args.seed)
    started = time.monotonic()
    try:
        if args.scenario == "short":
            plant.short_scenario()
        else:
            next_at = started
            shown_at = started
            while time.monotonic() - started < args.duration:
                plant.random_step()
                if time.monotonic() - shown_at >= 5:
                    progress(plant, started)
                    shown_at = time.monotonic()
                next_at += 1.0 / args.rate
                time.sleep(max(0.0, next_at - time.monotonic()))
    except KeyboardInterrupt:
        pass
    print_summary(plant, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
