/** @odoo-module **/
// Opens the lead of test_tour_explanation_panel: its tier badge reads Hot, and the "Why This Score"
// panel lists the factor of its source with the counts of the test's history.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("lt_lead_intelligence_tour", {
    test: true,
    steps: () => [
        {
            content: "The lead shows its score tier badge: Hot",
            trigger: ".o_form_view .o_field_widget[name='score_tier'] .badge:contains('Hot')",
            run: () => {},
        },
        {
            content: "Open the Why This Score panel",
            trigger: ".o_notebook_headers a[name='lt_score_explanation']",
            run: "click",
        },
        {
            content: "The panel lists the source's factor with the history's counts",
            trigger: ".o_lt_explanation .o_lt_score_explanation li:contains('LT Fair: 3 won, 1 lost')",
            run: () => {},
        },
    ],
});
