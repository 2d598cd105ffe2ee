/** @odoo-module **/
// Graph and pivot views of the lead_tracking reports (js_class="lt_report_graph" / "lt_report_pivot"):
// a click on a bar or a cell opens the crm leads behind it (crm's own list and form, under the same
// filters) instead of the report's lines. The server maps the clicked group's domain to crm.lead
// (lt.lead.report.mixin.lt_action_open_leads), so record rules and filters apply as in the report.
import { registry } from "@web/core/registry";
import { graphView } from "@web/views/graph/graph_view";
import { GraphRenderer } from "@web/views/graph/graph_renderer";
import { pivotView } from "@web/views/pivot/pivot_view";
import { PivotRenderer } from "@web/views/pivot/pivot_renderer";

async function openLeads(component, domain) {
    const { resModel } = component.model.metaData;
    const action = await component.env.services.orm.call(resModel, "lt_action_open_leads", [domain], {
        context: component.model.searchParams?.context || component.model.metaData.context || {},
    });
    return component.env.services.action.doAction(action);
}

export class LtReportGraphRenderer extends GraphRenderer {
    openView(domain) {
        return openLeads(this, domain);
    }
}

export class LtReportPivotRenderer extends PivotRenderer {
    openView(domain) {
        return openLeads(this, domain);
    }
}

registry.category("views").add("lt_report_graph", { ...graphView, Renderer: LtReportGraphRenderer });
registry.category("views").add("lt_report_pivot", { ...pivotView, Renderer: LtReportPivotRenderer });
