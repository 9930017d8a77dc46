"""Demo analytics consumer: reads the plant's business events from RabbitMQ and
prints one line per event.

    python demo/analytics.py                      # queue analytics.events on $MFG_AMQP_URL
    python demo/analytics.py --count 20 --timeout 60

The broker sink *Plant analytics* publishes every mrp.*, stock.* and
purchase.* event to the exchange mfg.events, bound to the queue
analytics.events. Each message is a CloudEvent under the RabbitMQ protocol
binding (binary mode: the attributes in ce- headers, the data as the body);
it is read with the CloudEvents SDK, printed (time, type, subject, id) and
then acknowledged. A message that is no CloudEvent is rejected to the
queue's dead-letter queue (analytics.events.dead).

The queue has a single active consumer: a second analytics consumer waits
until the first one stops.
"""

import argparse
import os
import signal
import sys
import time
from collections import Counter
from datetime import datetime

import pika
from cloudevents.core.bindings.rabbitmq import RabbitMQMessage, from_binary, from_structured
from cloudevents.core.formats.json import JSONFormat

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
ANALYTICS_QUEUE = "analytics.events"
STRUCTURED = "application/cloudevents"


def to_cloudevent(properties, body):
    """The CloudEvent of a message read with pika (binary or structured mode)."""
    headers = {
        key: value.decode() if isinstance(value, bytes) else str(value)
        for key, value in (properties.headers or {}).items()
    }
    message = RabbitMQMessage(headers=headers, content_type=properties.content_type, body=body)
    if (properties.content_type or "").startswith(STRUCTURED):
        return from_structured(message, JSONFormat())
    return from_binary(message, JSONFormat())


class Analytics:
    """What the analytics platform does with the plant's events: here, print
    them and count them by type."""

    def __init__(self, amqp_url, queue=ANALYTICS_QUEUE, out=sys.stdout, quiet=False):
        self.amqp_url = amqp_url
        self.queue = queue
        self.out = out
        self.quiet = quiet
        self.events = []  # the CloudEvents read, in order
        self.by_type = Counter()
        self.unreadable = 0
        self.stopping = False

    def stop(self, *_args):
        self.stopping = True

    def _print(self, line):
        if not self.quiet:
            print(line, file=self.out, flush=True)

    def receive(self, properties, body):
        """Read one message; True when it was a CloudEvent."""
        try:
            event = to_cloudevent(properties, body)
        except Exception as error:  # whatever the SDK refuses to read
            self.unreadable += 1
            self._print(f"{datetime.now():%H:%M:%S}  analytics  UNREADABLE {error!r:.120}")
            return False
        self.events.append(event)
        self.by_type[event.get_type()] += 1
        self._print(
            f"{datetime.now():%H:%M:%S}  analytics  {event.get_type():<34} "
            f"{event.get_subject() or '':<32} {event.get_id()}"
        )
        return True

    def run(self, until=None, timeout=None):
        """Read until until() is true, timeout seconds passed, or stop();
        connect again when the broker goes away."""
        deadline = time.monotonic() + timeout if timeout else None

        def finished():
            return (
                self.stopping
                or (until is not None and until())
                or (deadline is not None and time.monotonic() > deadline)
            )

        backoff = 1.0
        while not finished():
            try:
                connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
            except pika.exceptions.AMQPError as error:
                self._print(f"analytics: broker unavailable ({error!r}); trying again")
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            try:
                channel = connection.channel()
                channel.basic_qos(prefetch_count=50)
                for method, properties, body in channel.consume(self.queue, inactivity_timeout=1):
                    if method is not None:
                        if self.receive(properties, body):
                            channel.basic_ack(method.delivery_tag)
                        else:
                            channel.basic_reject(method.delivery_tag, requeue=False)
                    if finished():
                        break
                channel.cancel()
            except pika.exceptions.ChannelClosedByBroker as error:
                if error.reply_code == 404:
                    self._print(
                        f"analytics: no queue {self.queue} on this broker yet (the demo's "
                        "start declares it); looking again"
                    )
                time.sleep(backoff)
            except pika.exceptions.AMQPError as error:
                self._print(f"analytics: connection lost ({error!r}); connecting again")
                time.sleep(backoff)
            finally:
                if connection.is_open:
                    connection.close()
        return self.events


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("MFG_AMQP_URL") or DEFAULT_AMQP_URL,
        help="the broker (default: $MFG_AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/%%2F)",
    )
    parser.add_argument("--queue", default=ANALYTICS_QUEUE)
    parser.add_argument("--count", type=int, help="stop after this many events")
    parser.add_argument("--timeout", type=float, help="stop after this many seconds")
    args = parser.parse_args(argv)
    analytics = Analytics(args.amqp_url, args.queue)
    signal.signal(signal.SIGTERM, analytics.stop)
    host = pika.URLParameters(args.amqp_url)
    print(
        f"analytics consumer reading {args.queue} on {host.host}:{host.port}: one line per event",
        flush=True,
    )
    until = (lambda: len(analytics.events) >= args.count) if args.count else None
    try:
        analytics.run(until=until, timeout=args.timeout)
    except KeyboardInterrupt:
        pass
    if analytics.by_type:
        summary = ", ".join(f"{name}: {n}" for name, n in sorted(analytics.by_type.items()))
        print(f"analytics: {len(analytics.events)} events ({summary})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
