import argparse
import sys

from odoo.cli import Command
from odoo.tools import config

from ..consumer import CommandConsumer


class MfgBrokerConsumer(Command):
    """Consume the suite's RabbitMQ command queues (competing consumers, any node)"""

    name = "mfg_broker_consumer"

    def run(self, args):
        parser = argparse.ArgumentParser(
            prog=f"{sys.argv[0]} {self.name}",
            description="Read the active command queues of a database and apply each "
            "message through the command pipeline; acknowledge once Odoo committed.",
        )
        parser.add_argument("-c", "--config", required=True, help="the Odoo server configuration")
        parser.add_argument("-d", "--database", required=True)
        parser.add_argument("--logfile")
        parser.add_argument(
            "--prefetch", type=int, default=20, help="unacknowledged messages held at most"
        )
        parser.add_argument(
            "--reload", type=float, default=5.0, help="seconds between looks at the queues' set-up"
        )
        options = parser.parse_args(args)
        odoo_args = ["-c", options.config, "-d", options.database]
        if options.logfile:
            odoo_args += ["--logfile", options.logfile]
        config.parse_config(odoo_args, setup_logging=True)
        consumer = CommandConsumer(options.database, options.prefetch, options.reload)
        consumer.install_signal_handlers()
        consumer.run()
