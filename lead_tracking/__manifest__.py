# The project's README.md, at the repository root, documents the addon.
# The manifest keeps its description: Apps shows it.
# pylint: disable=missing-readme,manifest-deprecated-key
{
    "name": "Lead Tracking",
    "version": "17.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Explained lead scores, fair rule-based assignment, a reseller portal and "
    "six lead-tracking reports for Odoo CRM",
    "description": """
Lead Tracking
=============
Makes a sales team's lead flow visible and fair, on top of Odoo's own CRM:

* explains each lead's predictive score and sorts leads into cold, warm and hot tiers;
* marks quality leads and unattended leads, and the lifecycle stage of each customer;
* assigns leads with CRM's rule-based assignment, fast, shared fairly on lead quality,
  with the reason written on every lead;
* hands leads to resellers by level, weight and location, with a reseller portal;
* adds six reports under CRM > Reporting: lead scoring, unattended leads, quality
  leads, partnerships, marketing attribution and lead distribution.
""",
    "author": "Lead Tracking",
    "website": "https://github.com/lead-tracking/lead_tracking",
    "license": "LGPL-3",
    "depends": ["crm", "portal"],
    "excludes": ["website_crm_partner_assign"],
    "uninstall_hook": "uninstall_hook",
    "data": [
        "security/ir.model.access.csv",
        # reports (issue 6)
        "security/report_security.xml",
        "report/crm_lead_unattended_report_views.xml",
        "report/crm_lead_quality_report_views.xml",
        "report/crm_lead_scoring_report_views.xml",
        "report/crm_reseller_report_views.xml",
        "report/crm_lead_attribution_report_views.xml",
        "report/crm_lead_distribution_report_views.xml",
        # end reports
    ],
    "assets": {
        "web.assets_tests": [
            "lead_tracking/static/tests/tours/lt_reports_tour.js",
        ],
    },
    "demo": [
        "demo/crm_demo.xml",
    ],
}
