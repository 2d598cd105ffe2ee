from collections import OrderedDict

from werkzeug.exceptions import NotFound

from odoo import _, fields, http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.osv import expression
from odoo.tools import email_normalize, plaintext2html

LEAD_SORTINGS = {
    "date": {"label": "Newest", "order": "create_date desc, id desc"},
    "name": {"label": "Name", "order": "name, id"},
    "contact": {"label": "Contact", "order": "contact_name, id"},
}
OPPORTUNITY_SORTINGS = {
    **LEAD_SORTINGS,
    "stage": {"label": "Stage", "order": "stage_id, id"},
    "revenue": {"label": "Expected Revenue", "order": "expected_revenue desc, id"},
}
SEARCH_FIELDS = ["name", "contact_name", "partner_name", "email_from", "city"]
OPPORTUNITY_FIELDS = ["contact_name", "partner_name", "email_from", "phone", "mobile", "street", "city", "zip"]


class LeadTrackingResellerPortal(CustomerPortal):
    """Reseller portal: the leads and opportunities assigned to the user's company.

    Every record goes through ``_lt_reseller_get_lead`` which reads it as the portal user, so record
    rules decide; any failure is a 404, whether the id does not exist or belongs to someone else.
    """

    # ---- helpers -----------------------------------------------------------------
    def _lt_reseller_partner(self):
        return request.env.user.commercial_partner_id

    def _lt_reseller_domain(self, kind):
        return [("type", "=", kind), ("reseller_id", "=", self._lt_reseller_partner().id)]

    def _lt_reseller_get_lead(self, lead_id, kind=None):
        """The lead as the portal user may see it (sudo for rendering), or NotFound."""
        lead = request.env["crm.lead"].browse(lead_id)
        try:
            lead.check_access_rights("read")
            lead.check_access_rule("read")
            if not lead.exists():
                raise NotFound()
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        lead_sudo = lead.sudo()
        if lead_sudo.reseller_id != self._lt_reseller_partner() or (kind and lead_sudo.type != kind):
            raise NotFound()
        return lead_sudo

    def _lt_reseller_check_write(self, lead_sudo):
        lead = lead_sudo.with_env(request.env)
        try:
            lead.check_access_rights("write")
            lead.check_access_rule("write")
        except AccessError as error:
            raise NotFound() from error

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        wanted = {"lt_lead_count", "lt_opportunity_count"} & set(counters)
        if wanted:
            Lead = request.env["crm.lead"]
            may_read = Lead.check_access_rights("read", raise_exception=False)
            if "lt_lead_count" in wanted:
                values["lt_lead_count"] = Lead.search_count(self._lt_reseller_domain("lead")) if may_read else 0
            if "lt_opportunity_count" in wanted:
                values["lt_opportunity_count"] = (
                    Lead.search_count(self._lt_reseller_domain("opportunity")) if may_read else 0
                )
        return values

    def _lt_reseller_list(self, kind, url, page, sortby, search, sortings):
        Lead = request.env["crm.lead"]
        if not Lead.check_access_rights("read", raise_exception=False):
            raise NotFound()
        domain = self._lt_reseller_domain(kind)
        if search:
            domain = expression.AND(
                [domain, expression.OR([[(name, "ilike", search)] for name in SEARCH_FIELDS])]
            )
        if sortby not in sortings:
            sortby = "date"
        count = Lead.search_count(domain)
        pager = portal_pager(
            url=url,
            url_args={"sortby": sortby, "search": search},
            total=count,
            page=page,
            step=self._items_per_page,
        )
        leads = Lead.search(domain, order=sortings[sortby]["order"], limit=self._items_per_page, offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "leads": leads.sudo(),
                "page_name": f"lt_{kind}s",
                "pager": pager,
                "default_url": url,
                "searchbar_sortings": {key: {**val, "label": _(val["label"])} for key, val in sortings.items()},
                "sortby": sortby,
                "search": search or "",
                "searchbar_inputs": {"all": {"input": "all", "label": _("Search in name, contact, email, city")}},
                "search_in": "all",
            }
        )
        return values

    # ---- lists ---------------------------------------------------------------------
    @http.route(["/my/leads", "/my/leads/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_leads(self, page=1, sortby="date", search=None, **kw):
        values = self._lt_reseller_list("lead", "/my/leads", page, sortby, search, LEAD_SORTINGS)
        return request.render("lead_tracking.portal_my_leads", values)

    @http.route(["/my/opportunities", "/my/opportunities/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_opportunities(self, page=1, sortby="date", search=None, **kw):
        values = self._lt_reseller_list("opportunity", "/my/opportunities", page, sortby, search, OPPORTUNITY_SORTINGS)
        return request.render("lead_tracking.portal_my_opportunities", values)

    # ---- lead page and answers -------------------------------------------------------
    @http.route("/my/lead/<int:lead_id>", type="http", auth="user", website=True)
    def portal_my_lead(self, lead_id, **kw):
        lead = self._lt_reseller_get_lead(lead_id)
        if lead.type == "opportunity":
            return request.redirect(f"/my/opportunity/{lead.id}")
        values = self._prepare_portal_layout_values()
        values.update({"lead": lead, "page_name": "lt_lead"})
        return request.render("lead_tracking.portal_my_lead", values)

    def _lt_render_interested(self, lead, form, errors, status=200):
        values = self._prepare_portal_layout_values()
        values.update({"lead": lead, "page_name": "lt_lead", "form": form, "errors": errors})
        return request.render("lead_tracking.portal_lead_interested", values, status=status)

    @http.route("/my/lead/<int:lead_id>/interested", type="http", auth="user", website=True, methods=["GET"])
    def portal_lead_interested_form(self, lead_id, **kw):
        lead = self._lt_reseller_get_lead(lead_id, kind="lead")
        return self._lt_render_interested(lead, {}, {})

    @http.route("/my/lead/<int:lead_id>/interested", type="http", auth="user", website=True, methods=["POST"])
    def portal_lead_interested(self, lead_id, **post):
        lead = self._lt_reseller_get_lead(lead_id, kind="lead")
        self._lt_reseller_check_write(lead)
        values, errors = self._lt_reseller_validate_interest(post)
        if errors:
            return self._lt_render_interested(lead, post, errors, status=400)
        lead._lt_reseller_accept(request.env.user, **values)
        return request.redirect(f"/my/opportunity/{lead.id}")

    @staticmethod
    def _lt_reseller_validate_interest(post):
        errors = {}
        summary = (post.get("activity_summary") or "").strip()
        if not summary:
            errors["activity_summary"] = _("Describe the next action.")
        date = None
        try:
            date = fields.Date.to_date((post.get("activity_date") or "").strip() or None)
        except ValueError:
            date = None
        if not date:
            errors["activity_date"] = _("Give the date of the next action (YYYY-MM-DD).")
        revenue = None
        try:
            revenue = float((post.get("expected_revenue") or "").strip())
            if revenue < 0 or revenue != revenue or revenue in (float("inf"), float("-inf")):
                raise ValueError
        except ValueError:
            errors["expected_revenue"] = _("Give the expected revenue as a positive number.")
        if post.get("contacted") not in ("on", "1", "true", "True"):
            errors["contacted"] = _("Confirm that you have contacted the customer.")
        return {"summary": summary, "date": date, "expected_revenue": revenue}, errors

    def _lt_render_decline(self, lead, form, errors, status=200):
        values = self._prepare_portal_layout_values()
        values.update({"lead": lead, "page_name": "lt_lead", "form": form, "errors": errors})
        return request.render("lead_tracking.portal_lead_decline", values, status=status)

    @http.route("/my/lead/<int:lead_id>/decline", type="http", auth="user", website=True, methods=["GET"])
    def portal_lead_decline_form(self, lead_id, **kw):
        lead = self._lt_reseller_get_lead(lead_id, kind="lead")
        return self._lt_render_decline(lead, {}, {})

    @http.route("/my/lead/<int:lead_id>/decline", type="http", auth="user", website=True, methods=["POST"])
    def portal_lead_decline(self, lead_id, **post):
        lead = self._lt_reseller_get_lead(lead_id, kind="lead")
        self._lt_reseller_check_write(lead)
        errors = {}
        reason = (post.get("reason") or "").strip()
        if not reason:
            errors["reason"] = _("Tell us why you are not interested.")
        if post.get("contacted") not in ("yes", "no"):
            errors["contacted"] = _("Tell us whether you contacted the customer.")
        if errors:
            return self._lt_render_decline(lead, post, errors, status=400)
        lead._lt_reseller_decline(
            request.env.user, reason, contacted=post["contacted"] == "yes", spam=bool(post.get("spam"))
        )
        return request.redirect("/my/leads")

    # ---- opportunity page ----------------------------------------------------------------
    def _lt_render_opportunity(self, lead, errors=None, status=200):
        values = self._prepare_portal_layout_values()
        stages = request.env["crm.stage"].sudo().search(
            ["|", ("team_id", "=", False), ("team_id", "=", lead.team_id.id)]
        )
        messages = lead.message_ids.filtered(lambda m: m.message_type in ("comment", "email") and not m.is_internal)
        values.update(
            {
                "lead": lead,
                "page_name": "lt_opportunity",
                "stages": stages,
                "priorities": lead._fields["priority"]._description_selection(request.env),
                "messages": messages,
                "errors": errors or {},
            }
        )
        return request.render("lead_tracking.portal_my_opportunity", values, status=status)

    @http.route("/my/opportunity/<int:lead_id>", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_opportunity(self, lead_id, **kw):
        lead = self._lt_reseller_get_lead(lead_id, kind="opportunity")
        return self._lt_render_opportunity(lead)

    @http.route("/my/opportunity/<int:lead_id>", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_opportunity_update(self, lead_id, **post):
        lead = self._lt_reseller_get_lead(lead_id, kind="opportunity")
        self._lt_reseller_check_write(lead)
        vals, errors = {}, {}
        if post.get("stage_id"):
            stage = request.env["crm.stage"].sudo().browse(int(post["stage_id"]) if post["stage_id"].isdigit() else 0)
            if not stage.exists() or (stage.team_id and stage.team_id != lead.team_id):
                errors["stage_id"] = _("Choose one of the listed stages.")
            elif stage != lead.stage_id:
                vals["stage_id"] = stage.id
        if "priority" in post:
            if post["priority"] not in dict(lead._fields["priority"].selection):
                errors["priority"] = _("Choose one of the listed priorities.")
            else:
                vals["priority"] = post["priority"]
        if "expected_revenue" in post:
            try:
                revenue = float(post["expected_revenue"] or 0)
                if revenue < 0 or revenue != revenue or revenue == float("inf"):
                    raise ValueError
                vals["expected_revenue"] = revenue
            except ValueError:
                errors["expected_revenue"] = _("Give the expected revenue as a positive number.")
        if "date_deadline" in post:
            try:
                vals["date_deadline"] = fields.Date.to_date(post["date_deadline"].strip() or None) or False
            except ValueError:
                errors["date_deadline"] = _("Give the expected closing as a date (YYYY-MM-DD).")
        for name in OPPORTUNITY_FIELDS:
            if name in post:
                vals[name] = post[name].strip()
        if vals.get("email_from") and not email_normalize(vals["email_from"]):
            errors["email_from"] = _("Give a valid email address.")
        if errors:
            return self._lt_render_opportunity(lead, errors=errors, status=400)
        if vals:
            lead.with_context(mail_create_nosubscribe=True).write(vals)
        return request.redirect(f"/my/opportunity/{lead.id}")

    @http.route("/my/opportunity/<int:lead_id>/message", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_opportunity_message(self, lead_id, message="", **post):
        lead = self._lt_reseller_get_lead(lead_id, kind="opportunity")
        self._lt_reseller_check_write(lead)
        if message.strip():
            lead.message_post(
                body=plaintext2html(message.strip()),
                author_id=request.env.user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return request.redirect(f"/my/opportunity/{lead.id}#lt_chatter")

    # ---- public partners ------------------------------------------------------------------
    @http.route("/partners", type="http", auth="public", website=True, sitemap=False)
    def lt_partners(self, **kw):
        resellers = request.env["res.partner"].sudo().search(
            [("reseller_published", "=", True), ("reseller_level_id", "!=", False)],
            order="display_name",
        )
        groups = OrderedDict()
        for reseller in resellers.sorted(
            lambda p: (p.reseller_level_id.sequence, p.reseller_level_id.id, p.country_id.name or "", p.name or "")
        ):
            groups.setdefault(reseller.reseller_level_id, OrderedDict()).setdefault(reseller.country_id, []).append(
                reseller
            )
        return request.render("lead_tracking.lt_partners", {"groups": groups})

    @http.route("/partners/<int:partner_id>", type="http", auth="public", website=True, sitemap=False)
    def lt_partner(self, partner_id, **kw):
        reseller = request.env["res.partner"].sudo().browse(partner_id).exists()
        if not reseller or not reseller.reseller_published or not reseller.reseller_level_id:
            raise NotFound()
        return request.render("lead_tracking.lt_partner", {"reseller": reseller})
