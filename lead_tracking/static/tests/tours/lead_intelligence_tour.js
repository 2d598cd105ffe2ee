/** @odoo-module **/
// Opens a lead, checks its score tier badge, then the "Why This Score" panel.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("lt_lead_intelligence_tour", {
    test: true,
    steps: () => [
        {
            content: "The lead shows its score tier badge",
            trigger: ".o_form_view .o_field_widget[name='score_tier'] .badge",
            run: () => {},
        },
        {
            content: "Open the Why This Score panel",
            trigger: ".o_notebook_headers a[name='lt_score_explanation']",
            run: "click",
        },
        {
            content: "The panel lists what the score is made of",
            trigger: ".o_lt_explanation .o_lt_score_explanation li",
            run: () => {},
        },
    ],
});
