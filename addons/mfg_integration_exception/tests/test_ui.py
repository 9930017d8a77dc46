import json
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import PLANNER, CommandSourceCase

# Polls the page for an element (with a text) instead of a tour's triggers: the
# kanban, list, pivot and graph views have no tour of their own.
VIEWS_JS = """
(async () => {
    const find = async (selector, text = "") => {
        for (let tries = 0; tries < 300; tries++) {
            const found = [...document.querySelectorAll(selector)].find(
                (element) => element.textContent.includes(text)
            );
            if (found) {
                return found;
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`Nothing matches ${selector} with the text '${text}'`);
    };
    const check = (condition, message) => {
        if (!condition) {
            throw new Error(message);
        }
    };
    const column = async (summary) => {
        const card = await find(".o_kanban_record", summary);
        const header = card.closest(".o_kanban_group").querySelector(".o_kanban_header");
        return [card, header.textContent];
    };
    const [onTime, onTimeColumn] = await column("Line 3 stopped");
    check(onTimeColumn.includes("New"), `Line 3 stopped is under ${onTimeColumn}`);
    check(onTime.classList.contains("o_kanban_color_10"), "on time: the SLA colour is green");
    const [late, lateColumn] = await column("Line 4 stopped");
    check(lateColumn.includes("New"), `Line 4 stopped is under ${lateColumn}`);
    check(late.classList.contains("o_kanban_color_1"), "past its SLA: the colour is red");
    const [, takenColumn] = await column("Line 5 stopped");
    check(takenColumn.includes("In Progress"), `Line 5 stopped is under ${takenColumn}`);
    (await find("button.o_switch_view.o_list")).click();
    await find(".o_list_view .o_data_row", "Line 4 stopped");
    const rows = document.querySelectorAll(".o_data_row").length;
    check(rows === 3, `the list shows the 3 open ones, not ${rows}`);
    (await find("button.o_switch_view.o_pivot")).click();
    await find(".o_pivot");
    (await find("button.o_switch_view.o_graph")).click();
    await find(".o_graph_renderer .o_graph_canvas_container");
    console.log("test successful");
})().catch((error) => console.error(error.message));
"""


@tagged("post_install", "-at_install")
class TestPlannerTour(CommandSourceCase, HttpCase):
    def test_planner_maps_an_unmapped_code_and_retries(self):
        new_test_user(self.env, login="planner_ui", password="planner-ui-1", groups=PLANNER)
        request = self.run_batch([{"currency": "DOL", "amount": 10}])
        self.assertEqual(request.state, "failed")
        exception = self.env["mfg.integration.exception"].search([])
        self.assertEqual(exception.mapping_value, "DOL")
        self.start_tour(
            "/odoo", "mfg_integration_exception_resolve_unmapped_currency", login="planner_ui"
        )
        exception.invalidate_recordset()
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(exception.user_id.login, "planner_ui")
        self.assertEqual(exception.root_cause, "mapping")
        line = self.env["mfg.integration.value.map.line"].search([("external_code", "=", "DOL")])
        self.assertEqual(line.record_ref, self.usd)
        self.assertEqual(line.create_uid.login, "planner_ui")
        item = exception.occurrence_ids.source_ref
        item.invalidate_recordset()
        self.assertEqual(item.state, "done", "the count was applied")
        self.assertEqual(json.loads(item.result), {"currency": "USD", "amount": 10})
        self.assertEqual(request.state, "done")


@tagged("post_install", "-at_install")
class TestExceptionViews(HttpCase):
    def test_planner_sees_open_exceptions_by_state_coloured_by_their_sla(self):
        planner = new_test_user(
            self.env, login="planner_views", password="planner-views-1", groups=PLANNER
        )
        Incident = self.env["mfg.integration.incident"]
        Incident._report("other", "Line 3 stopped", key="line3")
        late = Incident._report("other", "Line 4 stopped", key="line4")
        late.sla_deadline = fields.Datetime.now() - timedelta(hours=1)
        taken = Incident._report("other", "Line 5 stopped", key="line5")
        taken.with_user(planner).action_take()
        closed = Incident._report("other", "Line 6 stopped", key="line6")
        closed.write({"resolution_note": "Restarted the line"})
        closed.action_resolve()
        self.browser_js(
            "/odoo/action-mfg_integration_exception.mfg_integration_exception_action",
            VIEWS_JS,
            login="planner_views",
        )
