import datetime
from collections import OrderedDict
from urllib.parse import urlsplit

from dateutil.relativedelta import relativedelta
from werkzeug.exceptions import NotFound

from odoo import _, _lt, fields, http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.osv import expression
from odoo.tools import plaintext2html

from .portal_form import PortalForm, clean_search

LEAD_SORTINGS = {
    "date": {"label": _lt("Newest"), "order": "create_date desc, id desc"},
    "name": {"label": _lt("Name"), "order": "name, id"},
    "contact": {"label": _lt("Contact"), "order": "contact_name, id"},
}
OPPORTUNITY_SORTINGS = {
    **LEAD_SORTINGS,
    "stage": {"label": _lt("Stage"), "order": "stage_id, id"},
    "revenue": {"label": _lt("Expected Revenue"), "order": "expected_revenue desc, id"},
}
SEARCH_FIELDS = ["name", "contact_name", "partner_name", "email_from", "city"]
# Longest text a reseller may type in each field of the portal forms.
TEXT_LIMITS = {
    "activity_summary": 200, "reason": 2000, "message": 10000,
    "contact_name": 128, "phone": 64, "street": 256, "city": 128, "zip": 32,
    "partner_name": 128, "description": 5000,
}


class LeadTrackingResellerPortal(CustomerPortal):
    """Reseller portal: the leads and opportunities assigned to the user's company.

    Every record goes through ``_lt_reseller_get_lead`` which reads it as the portal user, so record
    rules decide; any failure is a 404, whether the id does not exist or belongs to someone else.
    """

    # ---- helpers -----------------------------------------------------------------
    def _lt_reseller_partner(self):
        return request.env.user.commercial_partner_id

    def _lt_reseller_domain(self, kind):
        """The reseller's leads or opportunities: open ones, and for opportunities also its rejected
        registrations (lost, but the reseller reads why). Searched with ``active_test=False``.

        Leads are the ones waiting for the reseller's answer: a lead already won (crm will not convert
        it to an opportunity) is not offered, as the recall does not wait for its answer either."""
        domain = [("type", "=", kind), ("reseller_id", "=", self._lt_reseller_partner().id)]
        if kind == "opportunity":
            shown = ["|", ("active", "=", True), ("reseller_registration_state", "=", "rejected")]
            return expression.AND([domain, shown])
        waiting = [("active", "=", True), "|", ("probability", "=", False), ("probability", "<", 100)]
        return expression.AND([domain, waiting])

    def _lt_is_reseller(self):
        return bool(self._lt_reseller_partner().reseller_level_id) and request.env["crm.lead"].check_access_rights(
            "read", raise_exception=False)

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

    def _lt_reseller_get_waiting_lead(self, lead_id):
        """A lead waiting for the reseller's answer (see ``_lt_reseller_domain``), or NotFound."""
        lead = self._lt_reseller_get_lead(lead_id, kind="lead")
        if not lead.filtered_domain(self._lt_reseller_domain("lead")):
            raise NotFound()
        return lead

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
            values.update(self._lt_counts(wanted))
        return values

    def _lt_counts(self, wanted=("lt_lead_count", "lt_opportunity_count")):
        """The reseller's counts of leads and opportunities (0 for anyone else)."""
        Lead = request.env["crm.lead"].with_context(active_test=False)
        may_read = Lead.check_access_rights("read", raise_exception=False)
        kinds = {"lt_lead_count": "lead", "lt_opportunity_count": "opportunity"}
        return {name: Lead.search_count(self._lt_reseller_domain(kinds[name])) if may_read else 0 for name in wanted}

    @http.route()
    def home(self, **kw):
        """/my shows the reseller's counts on its cards, rendered with the page."""
        response = super().home(**kw)
        if self._lt_is_reseller() and getattr(response, "qcontext", None) is not None:
            response.qcontext.update(self._lt_counts())
        return response

    def _lt_reseller_list(self, kind, url, page, sortby, search, sortings):
        Lead = request.env["crm.lead"]
        if not Lead.check_access_rights("read", raise_exception=False):
            raise NotFound()
        domain = self._lt_reseller_domain(kind)
        search = clean_search(search)
        if search:
            domain = expression.AND(
                [domain, expression.OR([[(name, "ilike", search)] for name in SEARCH_FIELDS])]
            )
        if sortby not in sortings:
            sortby = "date"
        Lead = Lead.with_context(active_test=False)
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
                "page_name": "lt_opportunities" if kind == "opportunity" else "lt_leads",
                "pager": pager,
                "default_url": url,
                "searchbar_sortings": {key: {**val, "label": str(val["label"])} for key, val in sortings.items()},
                "sortby": sortby,
                "search": search or "",
                "searchbar_inputs": {"all": {"input": "all", "label": _("Search in name, contact, email, city")}},
                "search_in": "all",
                "may_register": kind == "opportunity" and self._lt_is_reseller(),
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
        waiting = bool(lead.filtered_domain(self._lt_reseller_domain("lead")))
        values.update({"lead": lead, "page_name": "lt_lead", "waiting": waiting})
        return request.render("lead_tracking.portal_my_lead", values)

    # ---- deal registration -----------------------------------------------------------------
    def _lt_render_registration(self, form, errors, status=200):
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "lt_registration",
            "form": form,
            "errors": errors,
            "countries": request.env["res.country"].sudo().search([]),
            "currency": (self._lt_reseller_partner().company_id or request.env.company).sudo().currency_id,
        })
        return request.render("lead_tracking.portal_opportunity_register", values, status=status)

    @http.route("/my/opportunity/new", type="http", auth="user", website=True, methods=["GET"])
    def portal_opportunity_register_form(self, **kw):
        if not self._lt_is_reseller():
            raise NotFound()
        return self._lt_render_registration({}, {})

    @http.route("/my/opportunity/new", type="http", auth="user", website=True, methods=["POST"])
    def portal_opportunity_register(self, **post):
        """Deal registration: every field checked first; bad input shows the form again with the
        errors and writes nothing. The opportunity is created by the server for the reseller (portal
        users create no lead themselves)."""
        if not self._lt_is_reseller():
            raise NotFound()
        form = self._lt_form(post)
        form.text("partner_name", TEXT_LIMITS["partner_name"], required=True,
                  message=_("Give the customer's company name."))
        form.text("contact_name", TEXT_LIMITS["contact_name"], required=True,
                  message=_("Give the name of your contact at the customer."))
        form.email("email_from", required=True)
        form.phone("phone", TEXT_LIMITS["phone"])
        form.choice("country_id", set(request.env["res.country"].sudo().search([]).ids),
                    _("Choose one of the listed countries."))
        form.text("description", TEXT_LIMITS["description"], multiline=True)
        form.amount("expected_revenue")
        today = fields.Date.context_today(request.env["crm.lead"])
        form.date("date_deadline", today, today + relativedelta(years=5))
        if form.errors:
            return self._lt_render_registration(post, form.errors, status=400)
        lead = request.env["crm.lead"]._lt_reseller_register(request.env.user, form.values)
        return request.redirect(f"/my/opportunity/{lead.id}?registered=1")

    def _lt_render_interested(self, lead, form, errors, status=200):
        values = self._prepare_portal_layout_values()
        values.update({"lead": lead, "page_name": "lt_lead", "form": form, "errors": errors})
        return request.render("lead_tracking.portal_lead_interested", values, status=status)

    @http.route("/my/lead/<int:lead_id>/interested", type="http", auth="user", website=True, methods=["GET"])
    def portal_lead_interested_form(self, lead_id, **kw):
        lead = self._lt_reseller_get_waiting_lead(lead_id)
        return self._lt_render_interested(lead, {}, {})

    @http.route("/my/lead/<int:lead_id>/interested", type="http", auth="user", website=True, methods=["POST"])
    def portal_lead_interested(self, lead_id, **post):
        lead = self._lt_reseller_get_waiting_lead(lead_id)
        self._lt_reseller_check_write(lead)
        form = self._lt_form(post)
        summary = form.text("activity_summary", TEXT_LIMITS["activity_summary"], required=True,
                            message=_("Describe the next action."))
        today = fields.Date.context_today(lead)
        date = form.date("activity_date", today - relativedelta(years=1), today + relativedelta(years=5), required=True,
                         message=_("Give the date of the next action."))
        revenue = form.amount("expected_revenue", required=True)
        if post.get("contacted") not in ("on", "1", "true", "True"):
            form.errors["contacted"] = _("Confirm that you have contacted the customer.")
        if form.errors:
            return self._lt_render_interested(lead, post, form.errors, status=400)
        lead._lt_reseller_accept(request.env.user, summary=summary, date=date, expected_revenue=revenue)
        return request.redirect(f"/my/opportunity/{lead.id}")

    @staticmethod
    def _lt_form(post):
        """The posted values, checked in the reader's language (numbers and dates)."""
        return PortalForm(post, request.env["res.lang"]._lang_get(request.env.lang or "en_US"))

    def _lt_render_decline(self, lead, form, errors, status=200):
        values = self._prepare_portal_layout_values()
        values.update({"lead": lead, "page_name": "lt_lead", "form": form, "errors": errors})
        return request.render("lead_tracking.portal_lead_decline", values, status=status)

    @http.route("/my/lead/<int:lead_id>/decline", type="http", auth="user", website=True, methods=["GET"])
    def portal_lead_decline_form(self, lead_id, **kw):
        lead = self._lt_reseller_get_waiting_lead(lead_id)
        return self._lt_render_decline(lead, {}, {})

    @http.route("/my/lead/<int:lead_id>/decline", type="http", auth="user", website=True, methods=["POST"])
    def portal_lead_decline(self, lead_id, **post):
        lead = self._lt_reseller_get_waiting_lead(lead_id)
        self._lt_reseller_check_write(lead)
        form = self._lt_form(post)
        reason = form.text("reason", TEXT_LIMITS["reason"], required=True, multiline=True,
                           message=_("Tell us why you are not interested."))
        if post.get("contacted") not in ("yes", "no"):
            form.errors["contacted"] = _("Tell us whether you contacted the customer.")
        if form.errors:
            return self._lt_render_decline(lead, post, form.errors, status=400)
        lead._lt_reseller_decline(
            request.env.user, reason, contacted=post["contacted"] == "yes", spam=bool(post.get("spam"))
        )
        return request.redirect("/my/leads")

    # ---- opportunity page ----------------------------------------------------------------
    def _lt_opportunity_stages(self, lead):
        """Stages a reseller may pick: the won one only as a report the salesperson confirms, unless
        Settings let resellers close deals."""
        return request.env["crm.stage"].sudo().search(["|", ("team_id", "=", False), ("team_id", "=", lead.team_id.id)])

    def _lt_render_opportunity(self, lead, form=None, errors=None, status=200, registered=False):
        values = self._prepare_portal_layout_values()
        writable = lead._lt_portal_writable_fields()
        values.update(
            {
                "lead": lead,
                "page_name": "lt_opportunity",
                "stages": self._lt_opportunity_stages(lead),
                "may_close": lead._lt_portal_may_close(),
                "priorities": lead._fields["priority"]._description_selection(request.env),
                "countries": request.env["res.country"].sudo().search([]),
                "messages": lead._lt_portal_messages(),
                "form": form or {},
                "errors": errors or {},
                "edit_terms": "expected_revenue" in writable,
                "edit_contact": "email_from" in writable,
                "lt_lang": request.env["res.lang"]._lang_get(request.env.lang or "en_US"),
                "registered": registered,
                "editable": lead.active,
            }
        )
        return request.render("lead_tracking.portal_my_opportunity", values, status=status)

    @http.route("/my/opportunity/<int:lead_id>", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_opportunity(self, lead_id, registered=None, **kw):
        lead = self._lt_reseller_get_lead(lead_id, kind="opportunity")
        return self._lt_render_opportunity(lead, registered=registered == "1")

    @http.route("/my/opportunity/<int:lead_id>", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_opportunity_update(self, lead_id, **post):
        lead = self._lt_reseller_get_lead(lead_id, kind="opportunity")
        self._lt_reseller_check_write(lead)
        if not lead.active:  # a rejected registration: read-only
            return request.redirect(f"/my/opportunity/{lead.id}")
        vals, form = self._lt_opportunity_values(lead, post)
        if form.errors:
            return self._lt_render_opportunity(lead, form=post, errors=form.errors, status=400)
        stage = request.env["crm.stage"].sudo().browse(vals.get("stage_id"))
        if stage.is_won and not lead._lt_portal_may_close():
            del vals["stage_id"]
            lead._lt_reseller_report_won(request.env.user)
        if vals:
            # as the portal user: the model's own limits on what resellers may change apply
            lead.with_env(request.env).with_context(mail_create_nosubscribe=True).write(vals)
        return request.redirect(f"/my/opportunity/{lead.id}")

    def _lt_opportunity_values(self, lead, post):
        """(values to write, the checked form) of a posted opportunity: only the fields resellers
        may change, each checked; values equal to the lead's are left out."""
        form = self._lt_form(post)
        writable = lead._lt_portal_writable_fields()
        stages = self._lt_opportunity_stages(lead)
        form.choice("stage_id", set(stages.ids), _("Choose one of the listed stages."))
        if post.get("priority") is not None and post.get("priority") not in dict(lead._fields["priority"].selection):
            form.errors["priority"] = _("Choose one of the listed priorities.")
        elif post.get("priority") is not None:
            form.values["priority"] = post["priority"]
        today = fields.Date.context_today(lead)
        if "expected_revenue" in writable and "expected_revenue" in post:
            form.amount("expected_revenue")
        if "date_deadline" in writable and "date_deadline" in post:
            form.date("date_deadline", datetime.date(2000, 1, 1), today + relativedelta(years=10))
        if "email_from" in writable:
            for name in ("contact_name", "phone", "street", "city", "zip"):
                if name in post:
                    form.text(name, TEXT_LIMITS[name])
            if "email_from" in post:
                form.email("email_from")
            if post.get("country_id"):
                countries = set(request.env["res.country"].sudo().search([]).ids)
                form.choice("country_id", countries, _("Choose one of the listed countries."))
        vals = {
            name: value for name, value in form.values.items()
            if name in writable and self._lt_differs(lead, name, value)
        }
        return vals, form

    @staticmethod
    def _lt_differs(lead, name, value):
        current = lead[name]
        if hasattr(current, "id"):
            current = current.id
        return (current or False) != (value or False)

    @http.route("/my/opportunity/<int:lead_id>/message", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_opportunity_message(self, lead_id, message="", **post):
        lead = self._lt_reseller_get_lead(lead_id, kind="opportunity")
        self._lt_reseller_check_write(lead)
        form = self._lt_form({"message": message})
        text = form.text("message", TEXT_LIMITS["message"], multiline=True)
        if form.errors:
            return self._lt_render_opportunity(lead, form={"message": message}, errors=form.errors, status=400)
        if text:
            lead.message_post(
                body=plaintext2html(text),
                author_id=request.env.user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return request.redirect(f"/my/opportunity/{lead.id}#lt_chatter")

    # ---- public partners ------------------------------------------------------------------
    @http.route("/partners", type="http", auth="public", website=True, sitemap=False)
    def lt_partners(self, **kw):
        resellers = request.env["res.partner"].sudo().search(
            [("reseller_published", "=", True), ("reseller_level_id", "!=", False)], order="name, id"
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
        if not reseller or not reseller.active or not reseller.reseller_published or not reseller.reseller_level_id:
            raise NotFound()
        values = {"reseller": reseller, "website": _lt_web_link(reseller.website)}
        return request.render("lead_tracking.lt_partner", values)


def _lt_web_link(url):
    """The partner's website as a link only when it is an http(s) address (never javascript: and the like)."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return False
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else False
