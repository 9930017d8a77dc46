import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

// Landing page of the Integration app: traffic, errors, latency and backlog per
// connected system and per subscriber, read from hourly aggregates. Every
// figure opens the records it counts (the server sends the action with it).
export class HealthDashboard extends Component {
    static template = "mfg_integration_observability.HealthDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null, period: "24h", systemId: false, metric: "messages" });
        this.periods = [
            ["24h", "24 hours"],
            ["7d", "7 days"],
            ["30d", "30 days"],
        ];
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("mfg.integration.health", "get_health_data", [], {
            period: this.state.period,
            system_id: this.state.systemId || false,
        });
    }

    async setPeriod(period) {
        this.state.period = period;
        await this.load();
    }

    async setSystem(ev) {
        this.state.systemId = parseInt(ev.target.value) || false;
        await this.load();
    }

    open(action) {
        if (action) {
            this.action.doAction(action);
        }
    }

    latency(ms) {
        if (ms === null || ms === undefined) {
            return "-";
        }
        return ms >= 1000 ? `≤ ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s` : `≤ ${ms} ms`;
    }

    age(seconds) {
        if (!seconds) {
            return "-";
        }
        if (seconds < 120) {
            return `${seconds} s`;
        }
        return seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
    }

    get bars() {
        const points = this.state.data.chart.points;
        const key = this.state.metric;
        const max = Math.max(1, ...points.map((point) => point[key]));
        const width = 100 / points.length;
        return points.map((point, index) => ({
            key: point.start,
            x: index * width,
            width: Math.max(width - 0.3, 0.2),
            height: (80 * point[key]) / max,
            title: `${point.label}: ${point[key]}`,
            label: point.label,
            showLabel: index % Math.ceil(points.length / 8) === 0,
        }));
    }
}

registry.category("actions").add("mfg_integration_observability.health_dashboard", HealthDashboard);
