"""Screenshots of the demo's key screens, taken in headless Chromium.

    python demo/screenshots.py --url http://localhost:8069 --db mfg_demo --out docs/screenshots

Logs in as admin, opens each screen and saves a PNG. Uses the DevTools
protocol directly (websocket-client), so it needs nothing but Chromium.
"""

import argparse
import base64
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from harness import OdooServer, free_port


class Browser:
    def __init__(self, width=1440, height=900):
        port = free_port()
        self.profile = tempfile.TemporaryDirectory()
        self.process = subprocess.Popen(
            [
                "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                f"--user-data-dir={self.profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=1).json()
                page = next(p for p in pages if p["type"] == "page")
                break
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.1)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.ids = itertools.count(1)
        self.send("Page.enable")

    def send(self, method, **params):
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True)
        return result.get("result", {}).get("value")

    def open(self, url, ready_selector, settle=1.5, timeout=30):
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(ready_selector)})"):
                time.sleep(settle)
                return
            time.sleep(0.3)
        raise RuntimeError(f"{url}: '{ready_selector}' did not appear")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        self.profile.cleanup()


def screens(server):
    """(file name, path, selector that says the screen is ready)."""
    server.login()

    def first(model, domain, order="id desc"):
        found = server.call(model, "search", domain, limit=1, order=order)
        return found[0] if found else None

    client = first("mfg.integration.client", [("system_id.code", "=", "MES-01")])
    value_map = first(
        "mfg.integration.value.map", [("system_id.code", "=", "MES-01"), ("domain", "=", "uom")]
    )
    endpoint = first("mfg.integration.webhook.endpoint", [("system_id.code", "=", "MES-01")])
    production = first("mrp.production", [("origin", "like", "MES-01:"), ("state", "=", "done")])
    exception = first("mfg.integration.exception", [("category", "=", "unmapped_code")])
    core = "action-mfg_integration_core"
    return [
        (
            "01-integration-systems.png",
            f"/odoo/{core}.mfg_integration_system_action",
            ".o_kanban_record, .o_data_row",
        ),
        (
            "02-value-map.png",
            f"/odoo/{core}.mfg_integration_value_map_action/{value_map}",
            ".o_form_view",
        ),
        (
            "03-api-client.png",
            f"/odoo/action-mfg_integration_governance.mfg_integration_client_action/{client}",
            ".o_form_view",
        ),
        (
            "04-webhook-endpoint.png",
            f"/odoo/action-mfg_integration_webhook.mfg_integration_webhook_endpoint_action/{endpoint}",
            ".o_form_view",
        ),
        (
            "05-webhook-deliveries.png",
            "/odoo/action-mfg_integration_webhook.mfg_integration_webhook_delivery_action",
            ".o_data_row",
        ),
        (
            "06-exceptions-overview.png",
            "/odoo/action-mfg_integration_exception.mfg_integration_exception_dashboard_action",
            ".o_mfg_kpi",
        ),
        (
            "07-exceptions-kanban.png",
            "/odoo/action-mfg_integration_exception.mfg_integration_exception_action",
            ".o_kanban_record",
        ),
        (
            "08-exception-unmapped-code.png",
            f"/odoo/action-mfg_integration_exception.mfg_integration_exception_action/{exception}",
            ".o_form_view",
        ),
        (
            "09-manufacturing-order-from-mes.png",
            f"/odoo/action-mrp.mrp_production_action/{production}",
            ".o-mail-Message",
        ),
        ("10-message-log.png", f"/odoo/{core}.mfg_integration_message_log_action", ".o_data_row"),
        (
            "11-integration-health.png",
            "/odoo/action-mfg_integration_observability.mfg_integration_health_action",
            ".o_mfg_health_system_row",
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="mfg_demo")
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = OdooServer(args.url, args.db, log_path=None)
    browser = Browser()
    try:
        browser.open(f"{args.url}/web/login", "input[name=login]", settle=0)
        browser.evaluate(
            "document.querySelector('input[name=login]').value='admin';"
            "document.querySelector('input[name=password]').value='admin';"
            "document.querySelector('form.oe_login_form').submit();"
        )
        time.sleep(3)
        for name, path, ready in screens(server):
            browser.open(args.url + path, ready)
            browser.screenshot(out / name)
            print(out / name)
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
