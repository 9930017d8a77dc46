"""The MQTT consumer: subscribes to the active topic filters of one database
and runs what arrives through the command pipeline.

MQTT 5, QoS 1, a persistent session per broker (clean start off, a session
expiry): while the consumer is away the broker keeps its subscriptions and
queues what arrives. A message is acknowledged (PUBACK) only after Odoo
committed what it did, and acknowledgements keep the order of arrival, as
MQTT requires. paho-mqtt 1.6.1 has no manual acknowledgement (it sends the
PUBACK as soon as the message callback returns), so ``HeldAckClient``
holds them until the consumer releases them.

A consumer killed at any moment leaves its unacknowledged messages to the
broker, which delivers them again on reconnection; the ones Odoo had
committed are recognised by their sequence number per subject (see the
subscription) and not applied twice.

States and alarms are applied at once, in order; a command with summed
fields (counters) is buffered per topic and applied once per window. A
message that several subscriptions match (Sparkplug B: one DATA message with
a machine's state and its counters) goes to each, and is acknowledged when
all of them have committed it. A bad
message is refused and kept in Odoo with its reason, and acknowledged: it
never comes back, so it cannot loop.
"""

import collections
import contextlib
import json
import logging
import signal
import time
from functools import partial

import paho.mqtt.client as mqtt
import psycopg2
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools.misc import dumpstacks

from odoo.addons.mfg_integration_command.problems import CommandProblem
from odoo.addons.mfg_integration_core.write_locks import run_serialized

from .models.subscription import MqttWait

_logger = logging.getLogger(__name__)

DATABASE_DOWN = (psycopg2.OperationalError, psycopg2.InterfaceError)
# what a broker takes from one client unacknowledged: a window of counters
RECEIVE_MAXIMUM = 65535
# a window applied early when it holds this many messages (bounds memory)
MAX_WINDOW_MESSAGES = 10000


class HeldAckClient(mqtt.Client):
    """A paho client that acknowledges QoS 1 messages when told, in order of
    arrival, instead of when its message callback returns."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held = collections.deque()  # [mid, parts not yet done] in order of arrival

    def hold(self, message, parts):
        entry = [message.mid, parts]
        if message.qos > 0:
            self.held.append(entry)
        return entry

    def _send_puback(self, mid):
        # paho calls this right after the message callback: release() sends it
        return mqtt.MQTT_ERR_SUCCESS

    def release(self):
        """Acknowledge the messages done, up to the first one that is not."""
        while self.held and self.held[0][1] <= 0:
            mid, _done = self.held.popleft()
            super()._send_puback(mid)

    def forget(self):
        """The connection is gone: the broker delivers these again."""
        self.held.clear()


class MqttConsumer:
    def __init__(self, db_name, reload_seconds=5.0):
        self.db_name = db_name
        self.reload_seconds = reload_seconds
        self.stopping = False
        self.counts = collections.Counter()
        self.config = {}
        self.clients = {}
        # (subscription id, topic) -> [started, [payloads], [entries], client]
        self.windows = {}

    def stop(self, *_args):
        self.stopping = True

    def install_signal_handlers(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGQUIT, partial(dumpstacks, log_level=logging.WARNING))

    # ------------------------------------------------------------------
    # What to consume
    # ------------------------------------------------------------------
    def _registry(self):
        return Registry(self.db_name).check_signaling()

    def _load_config(self):
        with self._registry().cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env["mfg.integration.mqtt.broker"]._consumer_config()

    # ------------------------------------------------------------------
    # The loop
    # ------------------------------------------------------------------
    def run(self):
        _logger.info("MQTT consumer of database %s starting", self.db_name)
        backoff = 1.0
        while not self.stopping:
            try:
                self.config = self._load_config()
            except DATABASE_DOWN as error:
                _logger.warning("Database unavailable (%s); trying again", error)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not self.config:
                time.sleep(self.reload_seconds)
                continue
            self._consume()
        _logger.info("MQTT consumer stopped: %s", json.dumps(self.counts))

    def _consume(self):
        """Consume until the configuration changes or a stop is asked. A
        broker that is down is connected again on its own back-off; the
        others are consumed meanwhile."""
        retry = {}  # broker id: (monotonic time of the next attempt, back-off)
        try:
            checked = time.monotonic()
            slice_seconds = 0.2 / len(self.config)
            while not self.stopping:
                for broker_id, broker in self.config.items():
                    client = self.clients.get(broker_id)
                    if client is None:
                        next_attempt, backoff = retry.get(broker_id, (0.0, 1.0))
                        if time.monotonic() < next_attempt:
                            continue
                        try:
                            client = self.clients[broker_id] = self._connect(broker_id, broker)
                            retry.pop(broker_id, None)
                        except OSError as error:
                            self._broker_down(broker, error, retry, broker_id, backoff)
                            continue
                    result = client.loop(timeout=slice_seconds)
                    if result != mqtt.MQTT_ERR_SUCCESS:
                        self._lost(broker_id)
                        _next, backoff = retry.get(broker_id, (0.0, 1.0))
                        self._broker_down(
                            broker, mqtt.error_string(result), retry, broker_id, backoff
                        )
                if not self.clients:
                    time.sleep(slice_seconds)
                self._flush(due_only=True)
                if time.monotonic() - checked > self.reload_seconds:
                    checked = time.monotonic()
                    if self._load_config() != self.config:
                        _logger.info("MQTT subscriptions changed: consuming anew")
                        return
        except DATABASE_DOWN as error:
            _logger.warning("Database unavailable (%s): connecting anew", error)
        finally:
            # what is buffered is applied and acknowledged before leaving, while
            # the brokers are there (otherwise they deliver it again)
            for broker_id, client in list(self.clients.items()):
                if not client.is_connected():
                    self._lost(broker_id)
            self._flush(due_only=False)
            for client in self.clients.values():
                client.loop(timeout=0.5)
                client.forget()
                client.disconnect()
            self.clients = {}

    def _broker_down(self, broker, error, retry, broker_id, backoff):
        _logger.warning(
            "MQTT broker %s:%s unavailable (%s); connecting again in %.0f s",
            broker["host"],
            broker["port"],
            error,
            backoff,
        )
        retry[broker_id] = (time.monotonic() + backoff, min(backoff * 2, 30.0))

    def _lost(self, broker_id):
        """The connection is gone: what it held unacknowledged (its buffered
        windows too) the broker delivers again on reconnection."""
        client = self.clients.pop(broker_id)
        for key in [key for key, window in self.windows.items() if window[3] is client]:
            del self.windows[key]
        client.forget()
        with contextlib.suppress(Exception):
            client.disconnect()

    def _connect(self, broker_id, broker):
        client = HeldAckClient(client_id=broker["client_identifier"], protocol=mqtt.MQTTv5)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = broker["session_expiry"]
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        client.on_message = partial(self._on_message, broker_id)
        client.on_connect = partial(self._on_connect, broker)
        client.on_subscribe = partial(self._on_subscribe, broker)
        client.connect(
            broker["host"],
            broker["port"],
            keepalive=broker["keepalive"],
            clean_start=False,
            properties=properties,
        )
        return client

    def _on_connect(self, broker, client, _userdata, _flags, reason_code, _properties=None):
        if reason_code != 0:
            _logger.error("MQTT broker %s refused the connection: %s", broker["host"], reason_code)
            return
        topics = [
            (topic, SubscribeOptions(qos=1))
            for topic in dict.fromkeys(sub["topic"] for sub in broker["subscriptions"])
        ]
        client.subscribe(topics)

    def _on_subscribe(self, broker, _client, _userdata, _mid, reason_codes, _properties=None):
        refused = [str(code) for code in reason_codes if code.value >= 0x80]
        if refused:
            _logger.error("MQTT broker %s refused subscriptions: %s", broker["host"], refused)
        topics = ", ".join(subscription["topic"] for subscription in broker["subscriptions"])
        _logger.info("Subscribed to %s", topics)

    # ------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------
    def _subscriptions_of(self, broker_id, topic):
        return [
            subscription
            for subscription in self.config[broker_id]["subscriptions"]
            if mqtt.topic_matches_sub(subscription["topic"], topic)
        ]

    def _on_message(self, broker_id, client, _userdata, message):
        subscriptions = self._subscriptions_of(broker_id, message.topic)
        entry = client.hold(message, len(subscriptions))
        if not subscriptions:  # a subscription paused since: not ours any more
            self.counts["unmatched"] += 1
        for subscription in subscriptions:
            if subscription["summed"] and subscription["window"] > 0:
                key = (subscription["id"], message.topic)
                window = self.windows.setdefault(key, [time.monotonic(), [], [], client])
                window[1].append(message.payload)
                window[2].append(entry)
                if len(window[1]) >= MAX_WINDOW_MESSAGES:
                    self._apply_window(key, subscription)
            elif self._apply(subscription["id"], message.topic, [message.payload]) is not None:
                entry[1] -= 1
        client.release()

    def _flush(self, due_only):
        now = time.monotonic()
        for key in list(self.windows):
            subscription_id = key[0]
            subscription = next(
                sub
                for broker in self.config.values()
                for sub in broker["subscriptions"]
                if sub["id"] == subscription_id
            )
            if not due_only or now - self.windows[key][0] >= subscription["window"]:
                self._apply_window(key, subscription)

    def _apply_window(self, key, subscription):
        _started, payloads, entries, client = self.windows.pop(key)
        if self._apply(subscription["id"], key[1], payloads) is None:
            return  # stopping with the database down: the broker delivers them again
        for entry in entries:
            entry[1] -= 1
        client.release()

    def _apply(self, subscription_id, topic, payloads):
        """Counter of what Odoo committed for these messages; None when
        stopping while the database is down."""
        backoff = 1.0
        while True:
            try:
                with self._registry().cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    subscription = env["mfg.integration.mqtt.subscription"].browse(subscription_id)
                    counts = run_serialized(partial(subscription._receive, topic, payloads), env)
            except DATABASE_DOWN as error:
                if self.stopping:
                    return None
                _logger.warning("Database unavailable (%s): messages held, trying again", error)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except MqttWait as wait:
                time.sleep(min(wait.retry_after, 30.0))
                continue
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                continue
            except Exception as error:  # a bug, not the message's fault: kept, never looped
                _logger.exception("MQTT messages on %s could not be processed", topic)
                counts = self._keep_unprocessable(subscription_id, topic, payloads, error)
            self.counts.update(counts)
            return counts

    def _keep_unprocessable(self, subscription_id, topic, payloads, error):
        with self._registry().cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            subscription = env["mfg.integration.mqtt.subscription"].browse(subscription_id)
            problem = CommandProblem(
                "internal-error", f"The message could not be processed: {type(error).__name__}."
            )
            for payload in payloads:
                subscription._refuse(
                    topic, subscription._subject_of(topic), payload, problem.to_dict()
                )
            counts = collections.Counter(refused=len(payloads))
            subscription._add_counts(counts)
            return counts
