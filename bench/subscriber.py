"""A subscriber of a RabbitMQ queue for bench/run, in a process of its own (its
reading does not share an interpreter with a publishing loop that is measured).

    python bench/subscriber.py AMQP_URL QUEUE OUT_FILE

Acknowledges every message it reads and writes a line per message to OUT_FILE:
arrival time (time.time()), message id and the ce-subject header, tab-separated.
The first message is also kept whole in OUT_FILE.sample (JSON), so that a
baseline can publish messages of the same shape. Prints "consuming" once it
consumes; stops on SIGTERM.
"""

import base64
import json
import os
import signal
import sys
import time

import pika


def text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def main(url, queue, out_path):
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_args: stopping.append(True))
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=500)
    sample_path = out_path + ".sample"
    sampled = []

    with open(out_path, "a", buffering=1) as out:

        def on_message(chan, method, properties, body):
            arrived = time.time()
            headers = {key: text(value) for key, value in (properties.headers or {}).items()}
            out.write(f"{arrived:.6f}\t{properties.message_id}\t{headers.get('ce-subject', '')}\n")
            chan.basic_ack(method.delivery_tag)
            if not sampled:
                sampled.append(True)
                sample = {
                    "body": base64.b64encode(body).decode(),
                    "headers": headers,
                    "content_type": properties.content_type,
                    "type": properties.type,
                    "app_id": properties.app_id,
                    "correlation_id": properties.correlation_id,
                    "timestamp": properties.timestamp,
                    "delivery_mode": properties.delivery_mode,
                    "routing_key": method.routing_key,
                    "exchange": method.exchange,
                }
                with open(sample_path + ".tmp", "w") as file:
                    json.dump(sample, file)
                # renamed: a reader finds it whole or not at all
                os.replace(sample_path + ".tmp", sample_path)

        channel.basic_consume(queue, on_message)
        print("consuming", flush=True)
        while not stopping:
            connection.process_data_events(time_limit=0.2)
    if connection.is_open:
        connection.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
