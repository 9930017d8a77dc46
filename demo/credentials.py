"""Ask the demo plant for fresh API keys and signing secrets, and connect it to
the broker; print them as JSON.

    python demo/credentials.py --url http://127.0.0.1:8069 --db mfg_demo \
        --receiver http://127.0.0.1:8075 > .state/demo-credentials.json

Logs in as the administrator and calls mfg.integration.demo.issue_credentials,
which revokes the previous demo keys, points the plant's broker connection at
--amqp-url (default: $MFG_AMQP_URL, else RabbitMQ on 127.0.0.1:5672 as
guest), declares the analytics exchange and queue and MES-02's command queue
there, and returns their names under "broker". The output holds secrets: keep
it private. Read one value back, URL-quoted (for curl):

    python demo/credentials.py --get keys/MES-01
    python demo/credentials.py --get deliveries/0      # WH%2FOUT%2F00001
    python demo/credentials.py --get broker/command_queues/MES-02
"""

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from harness import OdooServer

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def default_amqp_url():
    """The broker of the demo: $MFG_AMQP_URL (what setup/start found), else the
    local RabbitMQ's defaults."""
    return os.environ.get("MFG_AMQP_URL") or DEFAULT_AMQP_URL


def issue_credentials(url, db, receiver_url, login="admin", password="admin", amqp_url=None):
    """The plant's fresh credentials; with amqp_url, it is connected to that
    broker too (the answer then has "broker")."""
    server = OdooServer(url, db, log_path=None)
    server.login(login, password)
    return server.call("mfg.integration.demo", "issue_credentials", receiver_url, amqp_url=amqp_url)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="mfg_demo")
    parser.add_argument("--receiver", default="http://127.0.0.1:8075")
    parser.add_argument(
        "--amqp-url",
        default=default_amqp_url(),
        help="the broker, user and password included (default: $MFG_AMQP_URL, else "
        "amqp://guest:guest@127.0.0.1:5672/%%2F)",
    )
    parser.add_argument("--get", metavar="PATH", help="print one value of the credentials file")
    parser.add_argument("--file", default=".state/demo-credentials.json")
    args = parser.parse_args(argv)
    if args.get:
        value = json.loads(Path(args.file).read_text())
        for part in args.get.split("/"):
            value = value[int(part)] if isinstance(value, list) else value[part]
        print(quote(str(value), safe=""))
        return 0
    credentials = issue_credentials(args.url, args.db, args.receiver, amqp_url=args.amqp_url)
    print(json.dumps(credentials, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
