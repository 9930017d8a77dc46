"""What XML data cannot do: stock on hand, approvals, confirmed orders, and the
credentials the simulator, the demo receiver and the broker's clients need."""

from urllib.parse import unquote, urlsplit, urlunsplit

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

OPEN_ORDERS = 10
OPEN_DELIVERIES = 15


class MfgIntegrationDemo(models.AbstractModel):
    _name = "mfg.integration.demo"
    _description = "Demo Plant"

    def _ref(self, name):
        return self.env.ref(f"mfg_integration_demo.{name}")

    @api.model
    def _prepare_plant(self):
        """Called at install and update; does each thing once."""
        self._load_stock()
        self._approve_clients()
        self._top_up()

    def _load_stock(self):
        stock = self.env.ref("stock.stock_location_stock")
        Quant = self.env["stock.quant"].sudo()
        Lot = self.env["stock.lot"].sudo()
        untracked = {"product_housing": 400, "product_shaft": 800, "product_steel": 600}
        for xmlid, quantity in untracked.items():
            product = self._ref(xmlid)
            if not Quant.search_count([("product_id", "=", product.id)]):
                Quant._update_available_quantity(product, stock, quantity)
        tracked = [
            ("product_bearing", [(f"BRG-2026-{n:02d}", 500) for n in range(1, 4)]),
            ("product_motor", [(f"MTR-{n:05d}", 1) for n in range(1, 11)]),
            ("product_gearbox", [("GX-INIT-001", 40)]),
        ]
        for xmlid, lots in tracked:
            product = self._ref(xmlid)
            for name, quantity in lots:
                if Lot.search_count([("product_id", "=", product.id), ("name", "=", name)]):
                    continue
                lot = Lot.create({"product_id": product.id, "name": name})
                Quant._update_available_quantity(product, stock, quantity, lot_id=lot)

    def _approve_clients(self):
        """Submitted by the consultant, approved by the administrator: four eyes."""
        consultant = self._ref("user_consultant")
        admin = self.env.ref("base.user_admin")
        clients = ("client_mes", "client_wms", "client_sup", "client_mes_02", "client_monitoring")
        for name in clients:
            client = self._ref(name)
            if client.state == "draft":
                client.with_user(consultant).action_submit()
            if client.state == "submitted":
                client.with_user(admin).action_approve()

    def _top_up(self):
        """Keep open purchase orders and deliveries for the simulator to work on."""
        acme = self._ref("supplier_acme")
        Order = self.env["purchase.order"].sudo()
        open_orders = Order.search_count(
            [
                ("partner_id", "=", acme.id),
                ("state", "=", "purchase"),
                ("receipt_status", "!=", "full"),
            ]
        )
        for _index in range(max(0, OPEN_ORDERS - open_orders)):
            order = Order.create(
                {
                    "partner_id": acme.id,
                    "order_line": [
                        (0, 0, {"product_id": self._ref("product_housing").id, "product_qty": 50}),
                        (0, 0, {"product_id": self._ref("product_shaft").id, "product_qty": 100}),
                    ],
                }
            )
            order.button_confirm()
        warehouse = self.env.ref("stock.warehouse0")
        customer = self.env["res.partner"].sudo().search(
            [("name", "=", "Northwind Machinery")], limit=1
        ) or self.env["res.partner"].sudo().create(
            {"name": "Northwind Machinery", "is_company": True}
        )
        Picking = self.env["stock.picking"].sudo()
        domain = [
            ("picking_type_id", "=", warehouse.out_type_id.id),
            ("partner_id", "=", customer.id),
            ("state", "not in", ("done", "cancel")),
        ]
        gearbox = self._ref("product_gearbox")
        for index in range(max(0, OPEN_DELIVERIES - Picking.search_count(domain))):
            picking = Picking.create(
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": customer.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                    "move_ids": [
                        (
                            0,
                            0,
                            {
                                "name": gearbox.display_name,
                                "product_id": gearbox.id,
                                "product_uom_qty": 1 + index % 2,
                                "product_uom": gearbox.uom_id.id,
                                "location_id": warehouse.lot_stock_id.id,
                                "location_dest_id": self.env.ref(
                                    "stock.stock_location_customers"
                                ).id,
                            },
                        )
                    ],
                }
            )
            picking.action_confirm()
            picking.action_assign()
        return Order.search(
            [("partner_id", "=", acme.id), ("state", "=", "purchase")]
        ), Picking.search(domain)

    @api.model
    def issue_credentials(self, receiver_url, amqp_url=None):
        """Fresh keys for the demo systems and new signing secrets for their endpoints.

        Revokes the previous demo keys, points the endpoints at receiver_url and
        tops up the open orders and deliveries. With amqp_url, also connects the
        plant to that broker (see _connect_broker) and returns its queue names
        under "broker". Administrators only.
        """
        if not self.env.user._is_admin():
            raise AccessError(_("Only an administrator can issue the demo credentials."))
        self = self.sudo()
        keys = {}
        # MES-02 has no key: its queue on the broker vouches for it
        for name in ("client_mes", "client_wms", "client_sup"):
            client = self._ref(name)
            client.key_ids._revoke(_("demo restarted"))
            _key, secret = self.env["mfg.integration.api.key"]._issue(client)
            keys[client.system_id.code] = secret
        # the key a Prometheus scrapes /metrics with (scope metrics:read)
        monitoring = self._ref("client_monitoring")
        monitoring.key_ids._revoke(_("demo restarted"))
        _key, metrics_key = self.env["mfg.integration.api.key"]._issue(monitoring)
        secrets = {}
        for name in ("endpoint_mes", "endpoint_wms"):
            endpoint = self._ref(name)
            endpoint.write(
                {
                    "url": f"{receiver_url.rstrip('/')}/{endpoint.system_id.code}",
                    "allow_insecure": True,
                }
            )
            # a new signing secret with the new keys: it signs even when the stored
            # ones were encrypted with another server's secret key
            action = endpoint.action_generate_secret()
            secrets[endpoint.system_id.code] = action["context"]["mfg_webhook_secret"]
            if endpoint.state != "active" or endpoint.circuit_state != "closed":
                endpoint.action_activate()
        orders, deliveries = self._top_up()
        credentials = {
            "keys": keys,
            "metrics_key": metrics_key,
            "secrets": secrets,
            "purchase_orders": orders.filtered(lambda o: o.receipt_status != "full").mapped("name"),
            "deliveries": deliveries.filtered(lambda p: p.state == "assigned").mapped("name"),
        }
        if amqp_url:
            credentials["broker"] = self._connect_broker(amqp_url)
        return credentials

    def _connect_broker(self, amqp_url):
        """Point the plant's broker connection at amqp_url, declare the analytics
        sink's exchange and queue and MES-02's command queue on it, and switch
        both on. The user and password of the URL go to their own fields (the
        password encrypted, the URL kept without them). Returns the URL without
        credentials and the names that subscribers and MES-02 use."""
        url, username, password = split_amqp_url(amqp_url)
        connection = self._ref("broker_plant")
        connection.write({"url": url, "username": username})
        if password:
            connection.password = password
        else:
            connection.encrypted_password = False
        sink = self._ref("broker_sink_analytics")
        sink.action_declare_topology()
        if sink.state != "active" or sink.circuit_state != "closed":
            sink.action_activate()
        queue = self._ref("broker_queue_mes_02")
        queue.action_declare()
        if queue.state != "active":
            queue.state = "active"
        return {
            "url": url,
            "exchange": sink.exchange,
            "event_queues": sink.binding_ids.mapped("queue"),
            "command_queues": {queue.system_id.code: queue.name},
        }


def split_amqp_url(amqp_url):
    """(URL without user and password, user, password) of an AMQP URL; without
    credentials in the URL, RabbitMQ's default guest/guest (as pika has it)."""
    try:
        parts = urlsplit(amqp_url or "")
        port = parts.port
    except ValueError as error:
        raise UserError(_("The broker's URL has no valid port.")) from error
    # the URL may hold a password: never repeated in a message
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise UserError(
            _("The broker's URL is not an AMQP URL (amqp://user:password@host:port/vhost).")
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{host}:{port}" if port else host
    url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    if parts.username is None and parts.password is None:
        return url, "guest", "guest"
    return url, unquote(parts.username or ""), unquote(parts.password or "")
