/** @odoo-module **/

import { registry } from "@web/core/registry";

// A reseller answers "I'm interested" on a lead and lands on the opportunity page.
registry.category("web_tour.tours").add("lead_tracking_reseller_interested", {
    test: true,
    url: "/my/leads",
    steps: () => [
        {
            content: "Open the forwarded lead",
            trigger: "a:contains('Tour Lead Solar Panels')",
        },
        {
            content: "Say I'm interested",
            trigger: "a.o_lt_interested",
        },
        {
            content: "Next action",
            trigger: "input[name='activity_summary']",
            run: "text Call the buyer",
        },
        {
            content: "Next action date",
            trigger: "input[name='activity_date']",
            run() {
                // A date input takes its value directly: the tour's "text" action types, dates don't.
                const input = document.querySelector("input[name='activity_date']");
                input.value = "2030-01-15";
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Expected revenue",
            trigger: "input[name='expected_revenue']",
            run: "text 12500",
        },
        {
            content: "I have contacted the customer",
            trigger: "input[name='contacted']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: "button.o_lt_confirm",
        },
        {
            content: "The opportunity page shows the stage and the revenue",
            trigger: ".o_lt_opportunity .o_lt_stage",
            extra_trigger: "input[name='expected_revenue'][value='12,500.00']",
            isCheck: true,
        },
    ],
});
