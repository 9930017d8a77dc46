"""The demo plant's IIoT platform (IIOT-01) as the README walks through it:
the simulator's machines publish to the real Mosquitto, the real MQTT
consumer applies them on the demo's server, and CNC-01's breakdown becomes a
maintenance request and availability lost in its work center's OEE."""

import os
import uuid

import pytest
from harness import wait_for
from iiot import IiotPlatform
from mqtt_harness import start_mqtt_consumer

MQTT_HOST = os.environ.get("MFG_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("MFG_MQTT_PORT", "1883"))


@pytest.fixture
def iiot_demo(demo, tmp_path):
    """The demo's MQTT subscriptions under a topic prefix and session of this
    run (a demo run on the same Mosquitto keeps its own), and the consumer."""
    server, _receiver, _credentials = demo
    run = uuid.uuid4().hex[:8]
    prefix = f"mfg-demo-{run}/iiot-01"
    Broker, Subscription = "mfg.integration.mqtt.broker", "mfg.integration.mqtt.subscription"
    brokers = server.call(Broker, "search", [("name", "=", "Plant Mosquitto")])
    server.call(Broker, "write", brokers, {"client_identifier": f"odoo-demo-test-{run}"})
    subscriptions = server.call(
        Subscription, "search_read", [("broker_id", "in", brokers)], ["topic"]
    )
    for subscription in subscriptions:
        kind = subscription["topic"].rsplit("/", 1)[1]  # state, alarms, counters
        server.call(Subscription, "write", [subscription["id"]],
                    {"topic": f"{prefix}/+/{kind}", "state": "active"})  # fmt: skip
    log_path = tmp_path / "consumer.log"
    consumer = start_mqtt_consumer(
        os.environ["MFG_ODOO_SRC"], os.environ["MFG_E2E_CONF"], server.db, log_path
    )
    yield server, prefix, log_path
    consumer.terminate()
    consumer.wait(timeout=30)
    server.call(Subscription, "write", [s["id"] for s in subscriptions], {"state": "paused"})


def test_breakdown_becomes_a_maintenance_request_and_oee(iiot_demo):
    server, prefix, log_path = iiot_demo
    call = server.call
    cnc = call("maintenance.equipment", "search_read", [("name", "=", "CNC-01 machining center")],
               ["mfg_workcenter_id"])[0]  # fmt: skip
    platform = IiotPlatform(MQTT_HOST, MQTT_PORT, prefix=prefix, seed=1)
    platform.connect()
    try:
        platform.short_scenario()
    finally:
        platform.close()
    assert platform.unacknowledged == 0
    expected = platform.parts["CNC-01"]

    def counted():
        rows = call("mfg.integration.equipment.count", "search_read",
                    [("equipment_id", "=", cnc["id"])], ["good_qty", "rejected_qty"])  # fmt: skip
        return sum(r["good_qty"] for r in rows), sum(r["rejected_qty"] for r in rows)

    # the counters' last window (5 s) applied: the parts exactly as the machine counted
    assert wait_for(
        lambda: counted() == (expected["good"], expected["rejected"]), timeout=60
    ), f"{counted()} != {expected}\n{log_path.read_text()[-4000:]}"

    requests = call("maintenance.request", "search_read", [("equipment_id", "=", cnc["id"])],
                    ["mfg_alarm_code", "mfg_alarm_cleared_at", "maintenance_team_id", "priority"],
                    order="id")  # fmt: skip
    # the stop with its reason, and the vibration alarm (severity 700 >= the rule's 500)
    assert [r["mfg_alarm_code"] for r in requests] == ["A-VIBRATION", "E-SPINDLE"]
    assert requests[0]["mfg_alarm_cleared_at"], "the clear is said on the alarm's request"
    assert {r["maintenance_team_id"][1] for r in requests} == {"Plant mechanics"}
    assert {r["priority"] for r in requests} == {"2"}

    workcenter = cnc["mfg_workcenter_id"][0]
    rows = call("mrp.workcenter.productivity", "search_read",
                [("mfg_equipment_id", "=", cnc["id"])], ["loss_type", "loss_id", "duration"],
                order="date_start, id")  # fmt: skip
    assert [(r["loss_type"], r["loss_id"][1]) for r in rows] == [
        ("productive", "Fully Productive Time"),
        ("availability", "Spindle failure"),
        ("productive", "Fully Productive Time"),
    ]
    # Odoo's OEE report (productivity time by loss type) reads them as Odoo
    # computes them: the 2 s stop is availability lost in the working hours
    report = call("mrp.workcenter.productivity", "read_group",
                  [("workcenter_id", "=", workcenter), ("mfg_equipment_id", "=", cnc["id"])],
                  ["duration:sum"], ["loss_type"])  # fmt: skip
    by_type = {group["loss_type"]: group["duration"] for group in report}
    assert 0.01 < by_type["availability"] < 0.1, by_type  # minutes
    assert by_type["productive"] > 0.01, by_type
    state = call("mrp.workcenter", "read", [workcenter], ["working_state"])[0]
    assert state["working_state"] == "done"  # running again (Odoo: in progress)
    refused = call(
        "mfg.integration.mqtt.refused.message", "search_count", [("topic", "like", prefix)]
    )
    assert refused == 0
