import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { _t } from "@web/core/l10n/translation";

// Landing page of the Integration Exceptions app: what is open, what is late,
// where it comes from. Every number opens the exceptions it counts.
export class ExceptionDashboard extends Component {
    static template = "mfg_integration_exception.Dashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("mfg.integration.exception", "get_dashboard_data", []);
    }

    open(label, domain) {
        this.action.doAction({
            type: "ir.actions.act_window",
            name: label,
            res_model: "mfg.integration.exception",
            domain,
            views: [
                [false, "list"],
                [false, "kanban"],
                [false, "form"],
            ],
            target: "current",
        });
    }

    openRecord(id) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "mfg.integration.exception",
            res_id: id,
            views: [[false, "form"]],
            target: "current",
        });
    }

    openAll() {
        this.action.doAction("mfg_integration_exception.mfg_integration_exception_action");
    }

    get slaLabel() {
        const pct = this.state.data.sla_met_pct;
        return pct === null ? _t("no closed exceptions yet") : `${pct}%`;
    }
}

registry.category("actions").add("mfg_integration_exception.dashboard", ExceptionDashboard);
