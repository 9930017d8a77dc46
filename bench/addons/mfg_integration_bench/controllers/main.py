import json

from odoo import http
from odoo.http import request


def echo_response(body):
    return request.make_response(
        json.dumps({"ok": True, "echo": body}),
        headers=[("Content-Type", "application/json; charset=utf-8")],
    )


class BareController(http.Controller):
    """What the same answer costs without the framework: no key, no schema, no
    log; the durable one writes and commits one row, as any durable API must."""

    @http.route(
        "/bench/bare/echo",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def echo(self):
        return echo_response(json.loads(request.httprequest.get_data() or b"null"))

    @http.route(
        "/bench/durable/echo",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def durable_echo(self):
        """The least a durable API does: one row written, committed before the
        answer (Odoo commits the request's transaction before it responds)."""
        received = request.httprequest.get_data() or b"null"
        request.env.cr.execute(
            "INSERT INTO mfg_integration_bench_received (body) VALUES (%s)", [received.decode()]
        )
        return echo_response(json.loads(received))
