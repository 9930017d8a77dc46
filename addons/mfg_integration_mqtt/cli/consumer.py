import argparse
import sys

from odoo.cli import Command
from odoo.tools import config

from ..consumer import MqttConsumer


class MfgMqttConsumer(Command):
    """Consume the suite's MQTT subscriptions (one consumer per broker session)"""

    name = "mfg_mqtt_consumer"

    def run(self, args):
        parser = argparse.ArgumentParser(
            prog=f"{sys.argv[0]} {self.name}",
            description="Subscribe to the active MQTT topic filters of a database and apply "
            "each message through the command pipeline; acknowledge once Odoo committed.",
        )
        parser.add_argument("-c", "--config", required=True, help="the Odoo server configuration")
        parser.add_argument("-d", "--database", required=True)
        parser.add_argument("--logfile")
        parser.add_argument(
            "--reload", type=float, default=5.0, help="seconds between looks at the subscriptions"
        )
        options = parser.parse_args(args)
        odoo_args = ["-c", options.config, "-d", options.database]
        if options.logfile:
            odoo_args += ["--logfile", options.logfile]
        config.parse_config(odoo_args, setup_logging=True)
        consumer = MqttConsumer(options.database, options.reload)
        consumer.install_signal_handlers()
        consumer.run()
