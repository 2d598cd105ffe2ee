/** @odoo-module **/
// Checks the Unattended report's figures against the test's own leads (a list group's count, a pivot
// row's total, the leads it opens), then opens each lead_tracking report from CRM > Reporting,
// switches graph, pivot and list, clicks a pivot cell and lands on the crm leads behind it (crm's own
// list), and comes back.
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
            extra_trigger: ".o_graph_renderer canvas",
            isCheck: true,
        },
        { content: "Switch to list", trigger: ".o_switch_view.o_list" },
        { content: "List shown", trigger: ".o_list_renderer", isCheck: true },
        { content: "Switch to pivot", trigger: ".o_switch_view.o_pivot" },
        {
            content: `Drill into a cell of ${title}`,
            trigger: ".o_pivot table tbody td.o_pivot_cell_value:not(.o_empty)",
        },
        {
            content: "Landed on the crm leads behind the cell",
            trigger: '.o_breadcrumb:contains("Leads:")',
            extra_trigger: ".o_list_renderer .o_data_row",
            isCheck: true,
        },
        {
            content: "The leads open in crm's own list",
            trigger: ".o_list_renderer th[data-name='expected_revenue'], .o_list_renderer th[data-name='stage_id']",
            isCheck: true,
        },
        { content: `Back to ${title}`, trigger: `.o_breadcrumb .breadcrumb-item a:contains("${title}")` },
        { content: "Pivot shown again", trigger: ".o_pivot", isCheck: true },
    ];
}

// The test's own salesperson has 3 unattended leads worth 1,000 + 2,000 + 4,000: the list's group,
// the pivot's row total and the leads that total opens must say so.
const SELLER = "LT Tour Seller";

function expectText(content, trigger, expected) {
    return {
        content,
        trigger,
        run() {
            const text = this.$anchor.text().trim();
            if (text !== expected) {
                throw new Error(`${content}: expected "${expected}", got "${text}"`);
            }
        },
    };
}

const FIGURES = [
    {
        content: "Open CRM > Reporting",
        trigger: '.dropdown-toggle[data-menu-xmlid="crm.crm_menu_report"]',
    },
    {
        content: "Open Unattended Leads",
        trigger: '.dropdown-item[data-menu-xmlid="lead_tracking.crm_lead_unattended_report_menu"]',
    },
    {
        content: "Unattended Leads opens on its graph",
        trigger: '.o_breadcrumb:contains("Unattended Leads")',
        extra_trigger: ".o_graph_renderer canvas",
        isCheck: true,
    },
    { content: "Switch to list", trigger: ".o_switch_view.o_list" },
    expectText(
        "The list counts the seller's 3 unattended leads",
        `.o_list_renderer .o_group_name:contains("${SELLER}")`,
        `${SELLER} (3)`
    ),
    { content: "Switch to pivot", trigger: ".o_switch_view.o_pivot" },
    expectText(
        "The seller's row totals 7,000.00",
        `.o_pivot table tbody tr:has(th:contains("${SELLER}")) td.o_pivot_cell_value:last`,
        "7,000.00"
    ),
    {
        content: "Open the leads behind the seller's total",
        trigger: `.o_pivot table tbody tr:has(th:contains("${SELLER}")) td.o_pivot_cell_value:last`,
    },
    {
        content: "Landed on the crm leads",
        trigger: '.o_breadcrumb:contains("Leads:")',
        extra_trigger: ".o_list_renderer .o_data_row",
        isCheck: true,
    },
    expectText("Exactly the seller's 3 leads", ".o_pager_limit", "3"),
    { content: "Back to the report", trigger: '.o_breadcrumb .breadcrumb-item a:contains("Unattended Leads")' },
    { content: "Pivot shown again", trigger: ".o_pivot", isCheck: true },
];

registry.category("web_tour.tours").add("lead_tracking_reports_tour", {
    test: true,
    url: "/web",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        { content: "Open CRM", trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']" },
        ...FIGURES,
        ...REPORTS.flatMap(openReport),
    ],
});
