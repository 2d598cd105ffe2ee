/** @odoo-module **/

import { registry } from "@web/core/registry";

// A reseller registers a deal it found itself: a mistyped email first, then the corrected form.
registry.category("web_tour.tours").add("lead_tracking_reseller_registration", {
    test: true,
    url: "/my/opportunities",
    steps: () => [
        {
            content: "Open the registration form",
            trigger: "a.o_lt_register",
        },
        {
            content: "Customer company",
            trigger: "input[name='partner_name']",
            run: "text Tour Solar Farms",
        },
        {
            content: "Contact",
            trigger: "input[name='contact_name']",
            run: "text Sam Sunny",
        },
        {
            content: "A mistyped email",
            trigger: "input[name='email_from']",
            run() {
                // type="email" would stop the browser from sending it: the server's check is under test
                const input = document.querySelector("input[name='email_from']");
                input.setAttribute("type", "text");
                input.value = "buyer-at-tour-solar";
            },
        },
        {
            content: "Expected revenue",
            trigger: "input[name='expected_revenue']",
            run: "text 25,000",
        },
        {
            content: "What the customer needs",
            trigger: "textarea[name='description']",
            run: "text Panels for two barns",
        },
        {
            content: "Register",
            trigger: "button.o_lt_register_confirm",
        },
        {
            content: "The form comes back with the error and what was typed",
            trigger: "input[name='email_from'].is-invalid",
            extra_trigger: "input[name='partner_name'][value='Tour Solar Farms']",
            run() {
                const input = document.querySelector("input[name='email_from']");
                input.setAttribute("type", "text");
                input.value = "buyer@tour-solar.example.com";
            },
        },
        {
            content: "Register again",
            trigger: "button.o_lt_register_confirm",
        },
        {
            content: "The opportunity page says the registration is under review",
            trigger: ".o_lt_registered",
            extra_trigger: ".o_lt_registration_state",
            isCheck: true,
        },
    ],
});
