from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .test_patterns import DELIVERY_STATUS, REQUIRED, UNMAPPED, WRONG_TYPE

PLANNER = "base.group_user,mfg_integration_core.group_integration_user"
MANAGER = "base.group_user,mfg_integration_core.group_integration_manager"


class TestExceptionPatterns(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["mfg.integration.exception"]
        cls.Pattern = cls.env["mfg.integration.exception.pattern"]
        cls.Incident = cls.env["mfg.integration.incident"]
        cls.planner = new_test_user(cls.env, login="planner_pat", groups=PLANNER)
        System = cls.env["mfg.integration.system"]
        cls.mes = System.create({"code": "MES-01", "name": "MES"})
        cls.wms = System.create({"code": "WMS-01", "name": "WMS"})

    def _unmapped(self, message, code, system=None):
        return self.Incident._report(
            "unmapped_code", message, key=f"uom|{code}", system=system or self.mes
        )

    def _resolve(self, exception, note, root_cause="mapping"):
        exception.write({"resolution_note": note, "root_cause": root_cause})
        exception.action_resolve()

    def test_fingerprints_of_one_cause_group_under_one_pattern(self):
        lbr = self._unmapped(UNMAPPED[0], "LBR")
        kgm = self._unmapped(UNMAPPED[1], "KGM", self.wms)
        stk = self._unmapped(UNMAPPED[2], "STK")
        again = self._unmapped(UNMAPPED[0], "LBR")  # the same problem: one more occurrence
        self.assertEqual(again, lbr)
        self.assertEqual(len({lbr.fingerprint, kgm.fingerprint, stk.fingerprint}), 3)
        pattern = lbr.pattern_id
        self.assertTrue(pattern)
        self.assertEqual((kgm.pattern_id, stk.pattern_id), (pattern, pattern))
        self.assertEqual(
            pattern.name, "<*> sent uom code <*>, which has no mapping in value map <*>."
        )
        self.assertEqual(pattern.category, "unmapped_code")
        self.assertEqual(pattern.company_id, self.env.company)
        self.assertEqual(
            (
                pattern.exception_count,
                pattern.fingerprint_count,
                pattern.occurrence_count,
                pattern.open_count,
            ),
            (3, 3, 4, 3),
        )
        self.assertEqual(pattern.system_ids, self.mes | self.wms)
        self.assertEqual(pattern.first_seen, lbr.first_seen)
        self.assertEqual(pattern.last_seen, max((lbr | kgm | stk).mapped("last_seen")))
        self.assertEqual(lbr.pattern_exception_count, 3)
        # another domain generalises the template, it opens no second pattern
        location = self._unmapped(UNMAPPED[3], "L2-BUF")
        self.assertEqual(location.pattern_id, pattern)
        self.assertEqual(
            pattern.name, "<*> sent <*> code <*>, which has no mapping in value map <*>."
        )
        self.assertEqual(self.Pattern.search_count([("category", "=", "unmapped_code")]), 1)
        self._resolve(kgm, "Mapped KGM to kg")
        self.assertEqual((pattern.open_count, pattern.exception_count), (3, 4))
        # the smart buttons list the pattern's exceptions
        action = stk.action_open_pattern_exceptions()
        self.assertEqual(self.Exception.search(action["domain"]), lbr | kgm | stk | location)

    def test_different_causes_are_not_merged(self):
        required = [
            self.Incident._report("validation_error", m, key=m, system=self.mes) for m in REQUIRED
        ]
        wrong_type = [
            self.Incident._report("validation_error", m, key=m, system=self.mes) for m in WRONG_TYPE
        ]
        deliveries = [
            self.Incident._report("delivery_failed", m, key=f"endpoint|{i}", system=self.mes)
            for i, m in enumerate(DELIVERY_STATUS)
        ]
        self.assertEqual(len(required[0].pattern_id | required[1].pattern_id), 1)
        self.assertEqual(len(wrong_type[0].pattern_id | wrong_type[1].pattern_id), 1)
        self.assertNotEqual(required[0].pattern_id, wrong_type[0].pattern_id)
        self.assertEqual(len(self.Exception.browse([d.id for d in deliveries]).pattern_id), 1)
        self.assertEqual(required[0].pattern_id.name, "<*> is a required property")
        self.assertEqual(wrong_type[0].pattern_id.name, "<*> is not of type <*>")
        # the same words in another category are another cause
        job = self.Incident._report("job_failed", REQUIRED[0], key="job", system=self.mes)
        self.assertNotEqual(job.pattern_id, required[0].pattern_id)
        self.assertEqual(job.pattern_id.name, required[0].pattern_id.name)

    def test_weekly_trend(self):
        now = fields.Datetime.now()
        with freeze_time(now - timedelta(days=10)):
            first = self._unmapped(UNMAPPED[0], "LBR")
            self._unmapped(UNMAPPED[0], "LBR")
        with freeze_time(now - timedelta(days=2)):
            for code, message in (("KGM", UNMAPPED[1]), ("STK", UNMAPPED[2])):
                for _i in range(3):
                    self._unmapped(message, code)
        pattern = first.pattern_id
        self.Pattern._refresh_trends()
        self.assertEqual(
            (pattern.recent_occurrence_count, pattern.previous_occurrence_count, pattern.trend),
            (6, 2, "rising"),
        )
        # two weeks later nothing happened: the daily refresh says so
        with freeze_time(now + timedelta(days=6)):
            self.Pattern._refresh_trends()
            self.assertEqual(
                (pattern.recent_occurrence_count, pattern.previous_occurrence_count),
                (0, 6),
            )
            self.assertEqual(pattern.trend, "falling")
        with freeze_time(now + timedelta(days=20)):
            self.Pattern._refresh_trends()
            self.assertEqual(pattern.trend, "quiet")
        new = self.Incident._report("other", "Line 4 stopped", key="line4")
        self.assertEqual(new.pattern_id.trend, "new")

    def test_suggestion_from_the_same_pattern_says_so(self):
        earlier = self._unmapped(UNMAPPED[0], "LBR")
        self._resolve(earlier, "Added the unit to the value map")
        fresh = self._unmapped(UNMAPPED[1], "KGM", self.wms).with_user(self.planner)
        self.assertNotEqual(fresh.fingerprint, earlier.fingerprint)
        self.assertEqual(fresh.pattern_id, earlier.pattern_id)
        self.assertIn("Not this exact problem", fresh.suggestion)
        self.assertIn("1 exception(s) of the same pattern", fresh.suggestion)
        self.assertIn(
            earlier.pattern_id.name.replace("<", "&lt;").replace(">", "&gt;"), fresh.suggestion
        )
        self.assertIn("<b>Added the unit to the value map</b> (Missing mapping)", fresh.suggestion)
        self.assertIn(f"/odoo/mfg.integration.exception/{earlier.id}", fresh.suggestion)
        # the same fingerprint resolved before comes first
        self._resolve(fresh, "Mapped KGM to kg")
        kgm_again = self._unmapped(UNMAPPED[1], "KGM", self.wms)
        self.assertIn("This happened 1 time(s) before", kgm_again.suggestion)
        self.assertIn("<b>Mapped KGM to kg</b>", kgm_again.suggestion)
        self.assertNotIn("same pattern", kgm_again.suggestion)
        # an exception of another cause gets no suggestion from this pattern
        other = self.Incident._report("unmapped_code", REQUIRED[0], key="x", system=self.mes)
        self.assertFalse(other.suggestion)

    def test_resolutions_that_worked(self):
        now = fields.Datetime.now()
        with freeze_time(now - timedelta(days=3)):
            lbr = self._unmapped(UNMAPPED[0], "LBR")
            kgm = self._unmapped(UNMAPPED[1], "KGM", self.wms)
            stk = self._unmapped(UNMAPPED[2], "STK")
            self._resolve(lbr, "Added the unit to the value map")
            self._resolve(kgm, "Added the unit to the value map")
            self._resolve(stk, "Retried, it went through", root_cause="other")
        # STK comes back: retrying did not fix it
        self._unmapped(UNMAPPED[2], "STK")
        pattern = lbr.pattern_id
        self.assertEqual(pattern.worked_exception_ids, lbr | kgm)
        summary = pattern.resolution_summary
        self.assertIn("Added the unit to the value map", summary)
        self.assertIn("Missing mapping", summary)
        self.assertNotIn("Retried", summary)
        self.assertEqual(self.Exception.search(pattern.action_open_worked()["domain"]), lbr | kgm)

    def test_mining_existing_exceptions_again(self):
        lbr = self._unmapped(UNMAPPED[0], "LBR")
        kgm = self._unmapped(UNMAPPED[1], "KGM", self.wms)
        required = self.Incident._report("validation_error", REQUIRED[0], key="q")
        # as if recorded before the miner existed
        (lbr | kgm | required).pattern_id.unlink()
        self.assertFalse((lbr | kgm | required).pattern_id)
        self.Pattern._cron_mine()
        self.assertTrue(lbr.pattern_id)
        self.assertEqual(kgm.pattern_id, lbr.pattern_id)
        self.assertNotEqual(required.pattern_id, lbr.pattern_id)
        self.assertEqual(lbr.pattern_id.exception_count, 2)
        # planners read patterns; only managers mine them
        with self.assertRaises(AccessError):
            lbr.pattern_id.with_user(self.planner).action_remine()
        with self.assertRaises(AccessError):
            lbr.with_user(self.planner).action_mine_patterns()
        with self.assertRaises(AccessError):
            lbr.pattern_id.with_user(self.planner).unlink()
        manager = new_test_user(self.env, login="manager_pat", groups=MANAGER)
        before = lbr.pattern_id
        before.with_user(manager).action_remine()
        self.assertTrue(before.exists(), "a template found again keeps its pattern")
        self.assertEqual(kgm.pattern_id, before)
        mined = self.Pattern.search([("id", "in", (kgm | required).pattern_id.ids)])
        self.assertEqual(mined.mapped("exception_count"), [2, 1])

    def test_patterns_stay_in_their_company(self):
        elsewhere = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        their_mes = self.env["mfg.integration.system"].create(
            {"code": "MES-09", "name": "Their MES", "company_id": elsewhere.id}
        )
        ours = self._unmapped(UNMAPPED[0], "LBR")
        theirs = self._unmapped(UNMAPPED[1], "KGM", their_mes)
        self.assertEqual(theirs.company_id, elsewhere)
        self.assertNotEqual(ours.pattern_id, theirs.pattern_id)
        self.assertEqual(theirs.pattern_id.company_id, elsewhere)
        self.assertEqual(ours.pattern_id.name, theirs.pattern_id.name)
        visible = self.Pattern.with_user(self.planner).search([])
        self.assertIn(ours.pattern_id, visible)
        self.assertNotIn(theirs.pattern_id, visible)
        # a pattern of one company never suggests another company's resolution
        self._resolve(theirs, "Their fix")
        fresh = self._unmapped(UNMAPPED[2], "STK")
        self.assertFalse(fresh.suggestion)


@tagged("post_install", "-at_install")
class TestRecurringRootCauseTour(HttpCase):
    def test_planner_finds_the_resolution_of_a_recurring_cause(self):
        new_test_user(self.env, login="planner_pat_ui", password="planner-pat-1", groups=PLANNER)
        System = self.env["mfg.integration.system"]
        mes = System.create({"code": "MES-01", "name": "MES"})
        wms = System.create({"code": "WMS-01", "name": "WMS"})
        Incident = self.env["mfg.integration.incident"]
        lbr = Incident._report("unmapped_code", UNMAPPED[0], key="uom|LBR", system=mes)
        Incident._report("unmapped_code", UNMAPPED[1], key="uom|KGM", system=wms)
        Incident._report("unmapped_code", UNMAPPED[2], key="uom|STK", system=mes)
        lbr.write({"resolution_note": "Added the unit to the value map", "root_cause": "mapping"})
        lbr.action_resolve()
        kgm = self.env["mfg.integration.exception"].search([("name", "=", UNMAPPED[1])])
        kgm.write({"resolution_note": "Added the unit to the value map", "root_cause": "mapping"})
        kgm.action_resolve()
        self.start_tour(
            "/odoo", "mfg_integration_exception_recurring_root_cause", login="planner_pat_ui"
        )
