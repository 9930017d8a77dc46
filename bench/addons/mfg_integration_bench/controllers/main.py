import json

from odoo import http
from odoo.http import request


class BareController(http.Controller):
    """What the same answer costs without the framework: no key, no schema, no log."""

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
        body = json.loads(request.httprequest.get_data() or b"null")
        return request.make_response(
            json.dumps({"ok": True, "echo": body}),
            headers=[("Content-Type", "application/json; charset=utf-8")],
        )
