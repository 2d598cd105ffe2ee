# The project's README.md, at the repository root, documents the addon; Apps shows
# static/description/index.html, made from readme/ (OCA's fragments) by make description.
# pylint: disable=missing-readme
{
    "name": "Lead Tracking",
    "version": "17.0.1.1.0",
    "category": "Sales/CRM",
    "summary": "Explained lead scores, fair rule-based assignment, a reseller portal and "
    "six lead-tracking reports for Odoo CRM",
    "author": "Lead Tracking",
    "website": "https://github.com/lead-tracking/lead_tracking",
    "license": "LGPL-3",
    "depends": ["crm", "portal"],
    "excludes": ["website_crm_partner_assign"],
    "pre_init_hook": "pre_init_hook",
    "uninstall_hook": "uninstall_hook",
    "data": [
        "security/lead_tracking_security.xml",
        "security/ir.model.access.csv",
        # lead intelligence
        "data/ir_cron_data.xml",
        "views/crm_lead_views.xml",
        "views/res_partner_views.xml",
        "wizard/crm_lead_pls_advice_views.xml",
        "views/res_config_settings_views.xml",
        # resellers
        "data/reseller_data.xml",
        "data/mail_template_data.xml",
        "views/crm_reseller_level_views.xml",
        "views/crm_reseller_activation_views.xml",
        "views/crm_reseller_partner_views.xml",
        "wizard/crm_reseller_forward_views.xml",
        "views/crm_reseller_lead_views.xml",
        "views/crm_reseller_settings_views.xml",
        "views/portal_templates.xml",
        # assignment engine
        "security/lt_assignment_security.xml",
        "data/lt_assignment_data.xml",
        "views/crm_team_views.xml",
        "views/crm_lead_assignment_run_views.xml",
        "wizard/crm_lead_assignment_preview_views.xml",
        # reports
        "security/report_security.xml",
        "report/crm_lead_unattended_report_views.xml",
        "report/crm_lead_quality_report_views.xml",
        "report/crm_lead_scoring_report_views.xml",
        "report/crm_reseller_report_views.xml",
        "report/crm_lead_attribution_report_views.xml",
        "report/crm_lead_distribution_report_views.xml",
    ],
    "demo": [
        "demo/crm_demo.xml",
        "demo/lead_intelligence_demo.xml",
        "demo/reseller_demo.xml",
        "demo/assignment_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "lead_tracking/static/src/js/*.js",
        ],
        "web.assets_tests": [
            "lead_tracking/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
}
