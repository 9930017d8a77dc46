"""The template miner on its own: no database, no Odoo model."""

from odoo.tests import BaseCase

from ..patterns import WILDCARD, TemplateMiner, mask

UNMAPPED = [
    "MES-01 sent uom code 'LBR', which has no mapping in value map 'uom'.",
    "WMS-01 sent uom code 'KGM', which has no mapping in value map 'uom'.",
    "MES-02 sent uom code 'STK', which has no mapping in value map 'uom'.",
    "MES-01 sent location code 'L2-BUF', which has no mapping in value map 'location'.",
]
UNKNOWN = [
    "MES-01 sent product 'FG-999', which has no cross-reference in Odoo. "
    "Add one under Integration > Cross-References.",
    "WMS-01 sent lot 'LOT-7', which has no cross-reference in Odoo. "
    "Add one under Integration > Cross-References.",
]
DELIVERY_STATUS = [
    "ERP receiver did not accept mrp.production.done.v1 after 5 attempt(s): HTTP 503",
    "ERP receiver did not accept stock.picking.done.v1 after 8 attempt(s): HTTP 500",
    "ERP receiver did not accept mrp.workorder.started.v1 after 5 attempt(s): HTTP 502",
]
DELIVERY_REFUSED = [
    "ERP receiver did not accept mrp.production.done.v1 after 5 attempt(s): "
    "cannot connect: Connection refused",
    "ERP receiver did not accept stock.picking.done.v1 after 3 attempt(s): "
    "cannot connect: Connection refused",
]
REQUIRED = ["'quantity' is a required property", "'product' is a required property"]
WRONG_TYPE = ["'abc' is not of type 'number'", "'12' is not of type 'integer'"]
VARIANCE = [
    "WH/MO/00012: 9 produced for 10 planned (-10.0%, tolerance 5%)",
    "WH/MO/00044: 12 produced for 10 planned (+20.0%, tolerance 5%)",
]

EXPECTED = {
    "<*> sent <*> code <*>, which has no mapping in value map <*>.": UNMAPPED,
    "<*> sent <*> <*>, which has no cross-reference in Odoo. "
    "Add one under Integration > Cross-References.": UNKNOWN,
    "ERP receiver did not accept <*> after <*> attempt(s): HTTP <*>": DELIVERY_STATUS,
    "ERP receiver did not accept <*> after <*> attempt(s): "
    "cannot connect: Connection refused": DELIVERY_REFUSED,
    "<*> is a required property": REQUIRED,
    "<*> is not of type <*>": WRONG_TYPE,
    "<*>: <*> produced for <*> planned (<*>, tolerance <*>)": VARIANCE,
}


class TestMasking(BaseCase):
    def test_variable_parts_are_masked(self):
        cases = {
            "Order WH/MO/00012 failed": "Order <*> failed",
            "job a1b2c3d4-1111-2222-3333-444455556666 died": "job <*> died",
            "ask ops@example.com now": "ask <*> now",
            "POST https://erp.example.com/hook?id=3 refused": "POST <*> refused",
            "pointer 0x7fe3a0 freed": "pointer <*> freed",
            "hash deadbeef42 and evt_22fd1121d3 seen": "hash <*> and <*> seen",
            'field "qty" and `lot` missing': "field <*> and <*> missing",
            "HTTP 503.": "HTTP <*>.",
            "(3 items, -2.5%)": "(<*> items, <*>)",
            "operation L2-100-10 of MES-02": "operation <*> of <*>",
        }
        for message, expected in cases.items():
            with self.subTest(message=message):
                self.assertEqual(mask(message), expected)

    def test_words_and_apostrophes_stay(self):
        self.assertEqual(
            mask("Odoo's  stock\tisn't  'WH/Stock' today"),
            "Odoo's stock isn't <*> today",
            "an apostrophe inside a word opens no quote; spaces are normalised",
        )
        self.assertEqual(mask("Circuit open: deliveries wait"), "Circuit open: deliveries wait")


class TestTemplateMiner(BaseCase):
    def test_messages_of_known_templates(self):
        miner = TemplateMiner()
        messages = [m for group in EXPECTED.values() for m in group]
        # interleaved, as they come from a plant
        for message in messages[::2] + messages[1::2]:
            miner.add(message, member=message)
        found = {cluster.template: sorted(cluster.members) for cluster in miner.clusters}
        self.assertEqual(found, {template: sorted(group) for template, group in EXPECTED.items()})

    def test_different_causes_are_not_merged(self):
        miner = TemplateMiner()
        required, _change = miner.add(REQUIRED[0])
        wrong, _change = miner.add(WRONG_TYPE[0])
        status, _change = miner.add(DELIVERY_STATUS[0])
        refused, _change = miner.add(DELIVERY_REFUSED[0])
        self.assertEqual(len({id(c) for c in (required, wrong, status, refused)}), 4)
        # another receiver failing is another cause, even with the same words after it
        other, change = miner.add(
            "Plant analytics did not accept mrp.production.done.v1 after 5 attempt(s): HTTP 503"
        )
        self.assertEqual(change, "created")
        self.assertIsNot(other, status)
        # nothing generalised the first templates
        self.assertEqual(
            status.template, "ERP receiver did not accept <*> after <*> attempt(s): HTTP <*>"
        )

    def test_change_reports_and_match(self):
        miner = TemplateMiner()
        cluster, change = miner.add(UNMAPPED[0])
        self.assertEqual((change, cluster.size), ("created", 1))
        self.assertIs(miner.add(UNMAPPED[1])[1], None, "same template: no change")
        cluster, change = miner.add(UNMAPPED[3])
        self.assertEqual(change, "changed")
        self.assertEqual(cluster.size, 3)
        self.assertIs(miner.match(UNMAPPED[2]), cluster)
        self.assertIsNone(miner.match(REQUIRED[0]))
        self.assertEqual(cluster.size, 3, "match changes nothing")

    def test_loaded_templates_keep_their_keys(self):
        miner = TemplateMiner()
        miner.load("<*> is a required property", key=7, size=4)
        cluster, change = miner.add("'lot' is a required property")
        self.assertEqual((cluster.key, cluster.size, change), (7, 5, None))

    def test_variable_first_words_share_a_wildcard_branch(self):
        miner = TemplateMiner(max_children=3)
        for word in ("Alpha", "Bravo", "Charlie", "Delta", "Echo"):
            miner.add(f"{word} receiver is down since yesterday")
        # two literal branches, then everything else under <*>, where they merge
        self.assertEqual(
            sorted(c.template for c in miner.clusters),
            [
                f"{WILDCARD} receiver is down since yesterday",
                "Alpha receiver is down since yesterday",
                "Bravo receiver is down since yesterday",
            ],
        )

    def test_bad_input_is_refused(self):
        with self.assertRaisesRegex(ValueError, "depth"):
            TemplateMiner(depth=2)
        with self.assertRaisesRegex(ValueError, "similarity"):
            TemplateMiner(similarity=0)
        with self.assertRaisesRegex(ValueError, "children"):
            TemplateMiner(max_children=1)
        with self.assertRaisesRegex(ValueError, "empty"):
            TemplateMiner().add("   ")
