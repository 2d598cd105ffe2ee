/** @odoo-module **/
// Opens each lead_tracking report from CRM > Reporting and switches graph, pivot and list.
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const REPORTS = [
    ["lead_tracking.crm_lead_unattended_report_menu", "Unattended Leads"],
    ["lead_tracking.crm_lead_quality_report_menu", "Quality Leads"],
    ["lead_tracking.crm_lead_scoring_report_menu", "Lead Scoring"],
    ["lead_tracking.crm_reseller_report_menu", "Partnership Analysis"],
    ["lead_tracking.crm_lead_attribution_report_menu", "Marketing Attribution"],
    ["lead_tracking.crm_lead_distribution_report_menu", "Lead Distribution"],
];

function openReport([xmlid, title]) {
    return [
        {
            content: "Open CRM > Reporting",
            trigger: '.dropdown-toggle[data-menu-xmlid="crm.crm_menu_report"]',
        },
        {
            content: `Open ${title}`,
            trigger: `.dropdown-item[data-menu-xmlid="${xmlid}"]`,
        },
        {
            content: `${title} opens on its graph`,
            trigger: `.o_breadcrumb:contains("${title}")`,
            extra_trigger: ".o_graph_renderer",
            isCheck: true,
        },
        { content: "Switch to pivot", trigger: ".o_switch_view.o_pivot" },
        { content: "Pivot shown", trigger: ".o_pivot", isCheck: true },
        { content: "Switch to list", trigger: ".o_switch_view.o_list" },
        { content: "List shown", trigger: ".o_list_renderer", isCheck: true },
        { content: "Back to graph", trigger: ".o_switch_view.o_graph" },
        { content: "Graph shown", trigger: ".o_graph_renderer", isCheck: true },
    ];
}

registry.category("web_tour.tours").add("lead_tracking_reports_tour", {
    test: true,
    url: "/web",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        { content: "Open CRM", trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']" },
        ...REPORTS.flatMap(openReport),
    ],
});
