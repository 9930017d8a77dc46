"""Plant simulator: plays MES-01, WMS-01 and the supplier portal against the
suite's REST API, with their own keys and codes; with --transport amqp, plays
MES-02 (line 2), which sends its commands to its RabbitMQ command queue.

    python demo/simulator.py --rate 2 --duration 60
    python demo/simulator.py --scenario short     # the scripted run of the tests
    python demo/simulator.py --transport amqp --rate 1 --duration 60
    python demo/simulator.py --transport mqtt --duration 120   # IIOT-01: demo/iiot.py

Over HTTP it releases production orders and confirms them (sometimes with a
variance), reports inventory movements (sometimes with a unit nobody mapped),
confirms purchase orders and posts receipts, holds and releases lots, and
confirms shipments. Over AMQP, MES-02 creates production orders, starts,
pauses and finishes their operations, confirms them (sometimes short, with
scrap), reads them back, now and then sends a message again with its message
id (applied once) and, rarely, a unit nobody mapped (dead-lettered): each
message with the body of the REST route, the command in header ce-type, the
route's record in ce-subject, and a reply_to queue where the consumer
answers. It prints its progress and, at the end, requests (or messages),
outcomes (HTTP statuses, or the replies' status header) and latencies per
action.
"""

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pika
import requests
from iiot import run_mqtt
from plm import Plm

API = "/api/mfg/v1"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
MES_02_QUEUE = "mes-02.commands"


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
        self.plm = Plm(self) if Plm.SYSTEM in self.keys else None  # demo/plm.py

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
            *([(self.plm.step, 1)] if self.plm else []),
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
        return summarize(self.results)


class AmqpLine:
    """MES-02, line 2's MES: its commands go as messages to its command queue
    on the plant's RabbitMQ, and it waits for each reply on a queue of its own.

    A message carries the REST route's JSON body; header ce-type names the
    command (production_order.confirm), ce-subject the route's record (the
    order id of /production-orders/{id}/confirmations); the message id is the
    idempotency key. The consumer answers on reply_to with the result (or the
    problem document), header status, and the correlation id.
    """

    system = "MES-02"
    source = "urn:plant:line-2:mes"

    def __init__(self, amqp_url, queue=MES_02_QUEUE, seed=None, reply_timeout=60.0):
        self.amqp_url = amqp_url
        self.queue = queue
        self.reply_timeout = reply_timeout
        self.run = uuid.uuid4().hex[:6].upper()
        self.random = random.Random(seed)
        self.counter = itertools.count(1)
        self.orders = []  # the open orders: {"id", "product", "quantity", "operations", ...}
        self.closed = []  # ids of the orders confirmed as final
        self.sent = {}  # message id: (command, subject, body) of what may be sent again
        self.results = []  # (action, status of the reply, latency ms, problem type)
        self.replies = {}  # correlation id: (status, body)
        self.late_replies = 0
        self._connection = self._channel = self._reply_queue = None

    # ------------------------------------------------------------------
    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def connect(self):
        self._connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        channel = self._connection.channel()
        channel.confirm_delivery()  # a message is sent once the broker took it
        # where the answers come back: a queue of this connection's own
        self._reply_queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        channel.basic_consume(self._reply_queue, self._on_reply, auto_ack=True)
        self._channel = channel

    def close(self):
        if self._connection is not None and self._connection.is_open:
            self._connection.close()
        self._connection = self._channel = None

    def sleep(self, seconds):
        """Wait, answering the broker's heartbeats meanwhile."""
        self._connection.sleep(max(0.0, seconds))

    def _on_reply(self, _channel, _method, properties, body):
        status = (properties.headers or {}).get("status")
        self.replies[properties.correlation_id] = (int(status) if status else 0, body)

    def send(self, action, command, body, subject=None, message_id=None):
        """Send one command and wait for its reply: (status, answer), (0, None)
        when none came within the reply timeout."""
        message_id = message_id or str(uuid.uuid4())
        self.sent[message_id] = (command, subject, body)
        correlation_id = str(uuid.uuid4())
        headers = {
            "ce-specversion": "1.0",
            "ce-id": message_id,
            "ce-type": command,
            "ce-source": self.source,
            "ce-time": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        }
        if subject:
            headers["ce-subject"] = subject
        started = time.perf_counter()
        try:
            self._channel.basic_publish(
                "",
                self.queue,
                json.dumps(body).encode(),
                pika.BasicProperties(
                    message_id=message_id,
                    correlation_id=correlation_id,
                    reply_to=self._reply_queue,
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    headers=headers,
                ),
                mandatory=True,
            )
        except pika.exceptions.UnroutableError:
            # no such queue: the plant was not connected to this broker
            self.results.append((action, 0, 0.0, "unroutable"))
            return 0, None
        deadline = time.monotonic() + self.reply_timeout
        while correlation_id not in self.replies and time.monotonic() < deadline:
            self._connection.process_data_events(time_limit=0.1)
        latency = (time.perf_counter() - started) * 1000
        reply = self.replies.pop(correlation_id, None)
        self.late_replies += len(self.replies)  # answers to messages given up on
        self.replies.clear()
        if reply is None:
            self.results.append((action, 0, latency, "no-reply"))
            return 0, None
        status, raw = reply
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = None
        problem = None
        if status >= 400:
            problem = (answer or {}).get("type", "not-json").rsplit("/", 1)[-1]
        self.results.append((action, status, latency, problem))
        return status, answer

    # ------------------------------------------------------------------
    # What line 2 does
    # ------------------------------------------------------------------
    def create_order(self, product=None, quantity=None, unit="ST"):
        order_id = f"L2-{self.run}-{next(self.counter):04d}"
        product = product or self.random.choice(["GBX-100", "PMP-200"])
        quantity = quantity or self.random.randint(2, 8)
        body = {"id": order_id, "product": product, "quantity": quantity, "unit": unit}
        status, answer = self.send(
            "create order", "production_order.create", body, message_id=f"crt-{order_id}"
        )
        if status != 201:
            return None
        order = {
            "id": order_id,
            "product": product,
            "quantity": quantity,
            "reference": answer["reference"],
            # the operation ids the plant recorded for this order, in their order
            "operations": [w["id"] for w in answer["work_orders"] if w.get("id")],
            "step": 0,  # operations finished
            "running": False,
            "produced": 0,
        }
        self.orders.append(order)
        return order

    def work_order_event(self, order, event):
        operation = order["operations"][order["step"]]
        status, _answer = self.send(
            f"work order {event}",
            "work_order.event",
            {"event": event, "operator": "Line 2 crew"},
            subject=operation,
        )
        if status == 200:
            if event == "finish":
                order["step"] += 1
                order["running"] = False
            elif event in ("start", "resume"):
                order["running"] = True
        else:  # refused or unanswered: the line skips to the order's confirmation
            order["step"] = len(order["operations"])
        return status

    def confirm(self, order, quantity, final=False, scrapped=0):
        body = {"produced_quantity": quantity, "lot": f"{order['id']}-LOT"}
        if final:
            body["final"] = True
        if scrapped:
            body.update(scrapped_quantity=scrapped, scrap_reason="S-DMG")
        number = order["produced"] + quantity
        status, answer = self.send(
            "confirm production",
            "production_order.confirm",
            body,
            subject=order["id"],
            message_id=f"conf-{order['id']}-{number}{'-final' if final else ''}",
        )
        if status == 200:
            order["produced"] = number
            if final:
                self.closed.append(order["id"])
        if final and order in self.orders:  # closed, or given up on
            self.orders.remove(order)
        return status, answer

    def read_order(self, order_id):
        return self.send("read order", "production_order.get", None, subject=order_id)

    def send_again(self):
        """A message sent again under its id (a lost acknowledgement, a retry):
        the plant answers as the first time and applies nothing twice."""
        message_id = self.random.choice(sorted(self.sent))
        command, subject, body = self.sent[message_id]
        return self.send("send again", command, body, subject=subject, message_id=message_id)

    # ------------------------------------------------------------------
    def random_step(self):
        if self.random.random() < 0.03:
            # a unit nobody mapped: after its last attempt the message is dead-lettered,
            # kept in Odoo with an exception (map STK, then Retry the dead message)
            return self.create_order(unit="STK")
        if len(self.orders) < 2 or self.random.random() < 0.15:
            return self.create_order()
        if self.closed and self.random.random() < 0.08:
            return self.read_order(self.random.choice(self.closed))
        if self.sent and self.random.random() < 0.05:
            return self.send_again()
        order = self.random.choice(self.orders)
        if order["step"] < len(order["operations"]):
            if not order["running"]:
                return self.work_order_event(order, "start")
            if self.random.random() < 0.15:
                self.work_order_event(order, "pause")
                return self.work_order_event(order, "resume")
            return self.work_order_event(order, "finish")
        short = self.random.random() < 0.2
        if short:  # fewer than planned and one scrapped: a variance to look at
            return self.confirm(order, max(1, int(order["quantity"] * 0.7)), True, scrapped=1)
        return self.confirm(order, order["quantity"] - order["produced"], final=True)

    def short_scenario(self):
        """The scripted run of the end-to-end test: two orders made from start
        to finish, a message sent twice, an order read back."""
        gearbox = self.create_order("GBX-100", 4)  # two operations
        pump = self.create_order("PMP-200", 3)  # one operation
        if not (gearbox and pump):
            raise RuntimeError(f"MES-02 could not create its orders: {self.results}")
        self.work_order_event(gearbox, "start")
        self.work_order_event(gearbox, "finish")
        self.work_order_event(gearbox, "start")
        self.work_order_event(gearbox, "pause")
        self.work_order_event(gearbox, "resume")
        self.work_order_event(gearbox, "finish")
        self.confirm(gearbox, 4, final=True)
        self.work_order_event(pump, "start")
        self.confirm(pump, 2)  # partial
        self.work_order_event(pump, "finish")
        self.confirm(pump, 1, final=True)
        # the final confirmation again, under its message id: answered, not applied
        self.send(
            "send again",
            "production_order.confirm",
            {"produced_quantity": 1, "lot": f"{pump['id']}-LOT", "final": True},
            subject=pump["id"],
            message_id=f"conf-{pump['id']}-3-final",
        )
        self.read_order(gearbox["id"])

    def summary(self):
        return summarize(self.results)


def summarize(results):
    """{action: requests, outcomes by status (and problem), latencies}; a status
    of 0 is no answer at all, named by its problem (no-reply, unroutable)."""
    by_action = {}
    for action, status, latency, problem in results:
        row = by_action.setdefault(action, {"requests": 0, "statuses": {}, "latencies": []})
        row["requests"] += 1
        if status:
            key = f"{status}" + (f" {problem}" if problem else "")
        else:
            key = problem or "no answer"
        row["statuses"][key] = row["statuses"].get(key, 0) + 1
        row["latencies"].append(latency)
    return by_action


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def print_summary(plant, elapsed, out=sys.stdout, noun="requests"):
    summary = plant.summary()
    total = sum(row["requests"] for row in summary.values())
    print(f"\n{total} {noun} in {elapsed:.0f} s ({total / max(elapsed, 1e-9):.1f}/s)", file=out)
    print(f"{'action':<24}{noun:>9}{'p50 ms':>9}{'p95 ms':>9}  outcomes", file=out)
    for action, row in sorted(summary.items()):
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(row["statuses"].items()))
        print(
            f"{action:<24}{row['requests']:>9}{statistics.median(row['latencies']):>9.0f}"
            f"{percentile(row['latencies'], 0.95):>9.0f}  {outcomes}",
            file=out,
        )


def progress(plant, started, out=sys.stderr, label="simulator", noun="requests"):
    """One line every few seconds (the receiver may print to the same terminal)."""
    results = list(plant.results)
    ok = sum(1 for r in results if 0 < r[1] < 400)
    client = sum(1 for r in results if 400 <= r[1] < 500)
    server = sum(1 for r in results if r[1] >= 500 or r[1] == 0)
    p50 = statistics.median([r[2] for r in results]) if results else 0
    print(
        f"[{label} {time.monotonic() - started:4.0f} s] {len(results)} {noun}  "
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
    parser.add_argument(
        "--transport",
        choices=["http", "amqp", "mqtt"],
        default="http",
        help="http: MES-01, WMS-01 and the supplier portal over REST (default); "
        "amqp: MES-02 over RabbitMQ; mqtt: IIOT-01's machines over MQTT",
    )
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("MFG_AMQP_URL") or DEFAULT_AMQP_URL,
        help="with --transport amqp: the broker (default: $MFG_AMQP_URL, else "
        "amqp://guest:guest@127.0.0.1:5672/%%2F)",
    )
    parser.add_argument(
        "--reply-timeout", type=float, default=60.0, help="seconds to wait for a reply (amqp)"
    )
    args = parser.parse_args(argv)
    if args.transport == "amqp":
        return run_amqp(args)
    if args.transport == "mqtt":
        return run_mqtt(args)
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


def run_amqp(args):
    """MES-02 over RabbitMQ, its command queue named in the credentials file
    when there is one."""
    queue = MES_02_QUEUE
    path = Path(args.credentials)
    if path.exists():
        broker = json.loads(path.read_text()).get("broker") or {}
        queue = broker.get("command_queues", {}).get(AmqpLine.system, queue)
    line = AmqpLine(args.amqp_url, queue, seed=args.seed, reply_timeout=args.reply_timeout)
    try:
        line.connect()
    except pika.exceptions.AMQPError as error:
        print(f"cannot connect to the broker: {error!r}", file=sys.stderr)
        return 1
    label = f"{AmqpLine.system} amqp"
    started = time.monotonic()
    try:
        if args.scenario == "short":
            line.short_scenario()
        else:
            next_at = started
            shown_at = started
            while time.monotonic() - started < args.duration:
                line.random_step()
                if time.monotonic() - shown_at >= 5:
                    progress(line, started, label=label, noun="messages")
                    shown_at = time.monotonic()
                next_at += 1.0 / args.rate
                line.sleep(next_at - time.monotonic())
    except KeyboardInterrupt:
        pass
    finally:
        line.close()
    print_summary(line, time.monotonic() - started, noun="messages")
    if any(problem == "unroutable" for _a, _s, _l, problem in line.results):
        print(
            f"No queue {queue} on this broker: start the demo (setup/start), which declares it.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
