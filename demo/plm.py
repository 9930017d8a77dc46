"""PLM-01 in the plant simulator: engineering publishes the parts of a pump
and releases revisions of its BoM, each with a change number; now and then a
revision names a component nobody published (refused, and reported in the
exception app as an unknown reference). MES-01 learns of every release from
the masterdata.bom.released.v1 event at the demo receiver.

Revisions are numbered by the clock (milliseconds), so every run's are newer
than the last run's: a PLM never sends an older revision on purpose.
"""

import time

PARENT = ("PLM-PUMP-100", "Centrifugal pump P100", "make")
COMPONENTS = (
    ("PLM-CASING-110", "Pump casing", "buy"),
    ("PLM-IMPELLER-120", "Impeller", "buy"),
    ("PLM-SEAL-130", "Shaft seal", "buy"),
)


class Plm:
    """What PLM-01 does, through the plant's calls (its key: credentials "PLM-01")."""

    SYSTEM = "PLM-01"

    def __init__(self, plant, bad_share=0.2):
        self.plant = plant
        self.bad_share = bad_share
        self.published = set()
        self.changes = 0

    @staticmethod
    def revision():
        return str(time.time_ns() // 1_000_000)

    def publish_item(self, part=None):
        part_number, name, make_or_buy = part or self.plant.random.choice(COMPONENTS)
        response = self.plant.call(
            "publish item",
            self.SYSTEM,
            "POST",
            "/masterdata/items",
            {
                "part_number": part_number,
                "revision": self.revision(),
                "name": name,
                "unit": "EA",
                "make_or_buy": make_or_buy,
                "weight": round(self.plant.random.uniform(0.2, 8.0), 2),
            },
        )
        if response.status_code < 300:
            self.published.add(part_number)
        return response

    def release_bom(self, bad=None):
        """A BoM revision of the pump with a change number; ``bad``: one of its
        lines names a component that was never published. Publishes the pump and
        its parts first, once (all at once: new cross-references refresh the
        mapping cache of every worker, best early in a run)."""
        for part in (PARENT, *COMPONENTS):
            if part[0] not in self.published:
                self.publish_item(part)
        bad = bad if bad is not None else self.plant.random.random() < self.bad_share
        self.changes += 1
        change = f"ECO-{self.plant.run}-{self.changes:03d}"
        lines = [
            {"component": part_number, "quantity": quantity, "unit": "EA"}
            for (part_number, _name, _how), quantity in zip(
                COMPONENTS, (1, 1, self.plant.random.randint(1, 2)), strict=True
            )
        ]
        if bad:
            lines.append({"component": f"PLM-UNRELEASED-{self.plant.run}", "quantity": 1})
        return self.plant.call(
            "release BoM revision (bad)" if bad else "release BoM revision",
            self.SYSTEM,
            "POST",
            "/masterdata/boms",
            {
                "parent": PARENT[0],
                "revision": self.revision(),
                "quantity": 1,
                "unit": "EA",
                "change_number": change,
                "change_reason": "Seal material changed after field returns",
                "lines": lines,
            },
        )

    def step(self):
        if self.plant.random.random() < 0.3:
            return self.publish_item()
        return self.release_bom()
