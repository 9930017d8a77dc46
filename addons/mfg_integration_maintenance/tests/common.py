from datetime import datetime, timedelta

from odoo.addons.mfg_integration_mrp.tests.common import ApiCase


def stamp(moment):
    return moment.replace(microsecond=0).isoformat() + "Z"


class MachineCase(ApiCase):
    """ApiCase's plant and MES-01, with a press on the Assembly work center,
    its alarm rule and stop reasons, and a client that may report machines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # a plant that works around the clock: Odoo counts availability losses
        # in the work center's working hours only
        cls.workcenter.resource_calendar_id = env["resource.calendar"].create(
            {
                "name": "24/7",
                "tz": "UTC",
                "attendance_ids": [
                    (0, 0, {"name": str(day), "dayofweek": str(day), "hour_from": 0, "hour_to": 24})
                    for day in range(7)
                ],
            }
        )
        cls.category = env["maintenance.equipment.category"].create({"name": "Presses"})
        cls.team = env["maintenance.team"].create({"name": "Press Mechanics"})
        cls.press = env["maintenance.equipment"].create(
            {
                "name": "Press 1",
                "category_id": cls.category.id,
                "mfg_workcenter_id": cls.workcenter.id,
            }
        )
        cls.spare = env["maintenance.equipment"].create({"name": "Spare press"})
        types = {t.code: t for t in env["mfg.integration.object.type"].search([])}
        for external_id, record in (("PRESS-01", cls.press), ("PRESS-99", cls.spare)):
            env["mfg.integration.xref"].create(
                {
                    "system_id": cls.mes.id,
                    "object_type_id": types["equipment"].id,
                    "external_id": external_id,
                    "res_id": record.id,
                }
            )
        cls.spindle_failure = env["mrp.workcenter.productivity.loss"].create(
            {"name": "Spindle failure", "loss_id": env.ref("mrp.category_availability").id}
        )
        env["mfg.integration.value.map"].create(
            {
                "system_id": cls.mes.id,
                "domain": "equipment.stop_reason",
                "target_model": "mrp.workcenter.productivity.loss",
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "external_code": "E-SPINDLE",
                            "record_ref": f"mrp.workcenter.productivity.loss,"
                            f"{cls.spindle_failure.id}",
                            "canonical_value": "spindle_failure",
                        },
                    )
                ],
            }
        )
        cls.rule = env["mfg.integration.maintenance.rule"].create(
            {
                "name": "Presses",
                "category_id": cls.category.id,
                "min_severity": 500,
                "team_id": cls.team.id,
                "priority": "3",
            }
        )
        cls.machines, cls.machines_key = cls._client_with_key("Machines", ["equipment:write"])
        cls.start = datetime.utcnow().replace(microsecond=0) - timedelta(hours=3)

    def at(self, minutes):
        """A report time, minutes after the test's start (3 hours ago)."""
        return stamp(self.start + timedelta(minutes=minutes))

    def report(self, kind, body, equipment="PRESS-01", key=None):
        return self.api(
            "POST", f"/equipment/{equipment}/{kind}", body, key=key or self.machines_key
        )

    def requests_of(self, equipment):
        return self.env["maintenance.request"].search([("equipment_id", "=", equipment.id)])

    def rows_of(self, equipment):
        return self.env["mrp.workcenter.productivity"].search(
            [("mfg_equipment_id", "=", equipment.id)], order="date_start, id"
        )

    def events(self, type_name):
        return self.env["mfg.integration.event"].search([("type", "=", type_name)], order="id")
