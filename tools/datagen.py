"""``make data``: fill a database with generated CRM leads and activities, in bulk.

Python API (on an Odoo cursor of a database where crm is installed)::

    from tools.datagen import generate, build_assignment_scenario
    figures = generate(cr, leads=100_000, activities=100_000, seed=42)
    build_assignment_scenario(cr, leads=20_000, capacity=24_000, seed=42)

Reference data (salespeople, teams, UTM, tags, lost reasons, customers) is made
with the ORM: it is small.  Leads, their tags and their activities are written
with COPY, then crm's stored computed fields are filled the way crm computes
them: email/phone quality with crm's own helpers (on pools of distinct
values), the predictive-lead-scoring frequency table set-based in SQL (the
same counts as crm's rebuild), then crm's own batch update of the automated
probabilities of the open leads.  A seed gives the same data every time.
"""

import argparse
import bisect
import contextlib
import io
import math
import random
import sys
import time
from datetime import timedelta

from . import datagen_values as V

# Bump when the generated data changes: the benchmark harness rebuilds its cached templates then.
GENERATOR_VERSION = 6

COPY_CHUNK = 100_000
BULK_INDEX_THRESHOLD = 50_000  # above this many rows, indexes are dropped during the load and rebuilt after
LEAD_COLUMNS = (
    "id",
    "name",
    "type",
    "active",
    "priority",
    "color",
    "message_bounce",
    "company_id",
    "team_id",
    "user_id",
    "stage_id",
    "partner_id",
    "partner_name",
    "contact_name",
    "email_from",
    "email_normalized",
    "email_domain_criterion",
    "email_state",
    "phone",
    "phone_sanitized",
    "phone_state",
    "country_id",
    "state_id",
    "city",
    "zip",
    "street",
    "lang_id",
    "source_id",
    "medium_id",
    "campaign_id",
    "referred",
    "description",
    "expected_revenue",
    "prorated_revenue",
    "recurring_revenue_monthly",
    "recurring_revenue_monthly_prorated",
    "recurring_revenue_prorated",
    "probability",
    "automated_probability",
    "lost_reason_id",
    "date_open",
    "date_closed",
    "date_last_stage_update",
    "date_conversion",
    "date_deadline",
    "day_open",
    "day_close",
    "create_date",
    "create_uid",
    "write_date",
    "write_uid",
)
ACTIVITY_COLUMNS = (
    "res_model_id",
    "res_model",
    "res_id",
    "res_name",
    "activity_type_id",
    "summary",
    "date_deadline",
    "user_id",
    "automated",
    "active",
    "create_date",
    "create_uid",
    "write_date",
    "write_uid",
)


def log(message):
    print(message, flush=True)


def _copy(cr, table, columns, rows):
    """COPY ``rows`` (tuples of Python values) into ``table`` by chunks; return the row count."""
    count = 0
    buf = io.StringIO()
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"

    def flush():
        buf.seek(0)
        cr._obj.copy_expert(sql, buf)
        buf.seek(0)
        buf.truncate()

    write = buf.write
    for row in rows:
        write("\t".join("\\N" if v is None else ("t" if v is True else "f" if v is False else str(v)) for v in row))
        write("\n")
        count += 1
        if count % COPY_CHUNK == 0:
            flush()
    flush()
    return count


def _reserve_ids(cr, table, count):
    """First of ``count`` consecutive ids taken from ``table``'s sequence."""
    cr.execute(f"SELECT nextval('{table}_id_seq')")
    first = cr.fetchone()[0]
    cr.execute(f"SELECT setval('{table}_id_seq', %s)", (first + count - 1,))
    return first


class _BulkLoad:
    """Drop a table's secondary indexes (and FK triggers) for a big load; commit, then rebuild them."""

    def __init__(self, cr, tables, enabled):
        self.cr, self.tables, self.enabled, self.defs = cr, tables, enabled, []

    def __enter__(self):
        if not self.enabled:
            return self
        self.cr.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
                 JOIN pg_class c ON c.relname = i.indexname
                 JOIN pg_index x ON x.indexrelid = c.oid
                WHERE i.tablename IN %s AND NOT x.indisprimary AND NOT x.indisunique""",
            (tuple(self.tables),),
        )
        self.defs = self.cr.fetchall()
        for name, _definition in self.defs:
            self.cr.execute(f'DROP INDEX "{name}"')
        try:  # skip FK checks during COPY: every id comes from existing rows (needs a superuser)
            self.cr.execute("SAVEPOINT lt_replica")
            self.cr.execute("SET session_replication_role = replica")
            self.cr.execute("RELEASE SAVEPOINT lt_replica")
        except Exception:
            self.cr.execute("ROLLBACK TO SAVEPOINT lt_replica")
        return self

    def __exit__(self, *exc):
        if not self.enabled or exc[0]:
            return False
        self.cr.execute("SET session_replication_role = DEFAULT")
        # Committed first: an index built in the transaction that rewrote the rows also indexes every
        # row version that transaction replaced (it could still roll back), and stays that much bigger.
        self.cr.commit()
        self.cr.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in self.defs:
            self.cr.execute(definition)
        return False


# ---------------------------------------------------------------------------------------------
# reference data (ORM, small)
# ---------------------------------------------------------------------------------------------
def _get_or_create(env, model, name, values=None, field="name"):
    record = env[model].with_context(active_test=False).search([(field, "=", name)], limit=1)
    return record or env[model].create({field: name, **(values or {})})


def _reference_data(env, rnd, lead_count, with_teams=True):
    """Teams, salespeople, UTM, tags, lost reasons, countries and customers; ids and weights."""
    env = env(context={**env.context, "tracking_disable": True, "mail_create_nolog": True, "no_reset_password": True})
    ref = {}
    group_use_lead = env.ref("crm.group_use_lead")
    group_user = env.ref("base.group_user")
    if group_use_lead not in group_user.implied_ids:
        group_user.write({"implied_ids": [(4, group_use_lead.id)]})
    salesman_group = env.ref("sales_team.group_sale_salesman")

    teams, user_no = [], 0
    for name, domain, size, weight in V.TEAMS if with_teams else []:
        team = _get_or_create(env, "crm.team", name, {"use_leads": True, "use_opportunities": True})
        team.assignment_domain = domain
        members = []
        for _ in range(size):
            first, last = V.FIRST_NAMES[user_no % len(V.FIRST_NAMES)], V.LAST_NAMES[user_no % len(V.LAST_NAMES)]
            login = f"gen.sales{user_no:02d}@leadtracking.example.com"
            user = env["res.users"].with_context(active_test=False).search([("login", "=", login)], limit=1)
            if not user:
                user = env["res.users"].create(
                    {
                        "name": f"{first} {last}",
                        "login": login,
                        "email": login,
                        "groups_id": [(6, 0, [group_user.id, salesman_group.id])],
                    }
                )
            member = env["crm.team.member"].search([("crm_team_id", "=", team.id), ("user_id", "=", user.id)])
            if not member:
                env["crm.team.member"].create({"crm_team_id": team.id, "user_id": user.id, "assignment_max": 30})
            members.append((user.id, 0.3 + rnd.random() * 1.7))  # some salespeople get far more leads than others
            user_no += 1
        if not team.user_id:
            team.user_id = members[0][0]
        teams.append((team.id, weight, members))
    ref["teams"] = teams

    mediums = {name: _get_or_create(env, "utm.medium", name).id for name in V.MEDIUMS}
    sources = [(_get_or_create(env, "utm.source", s).id, mediums[m], w) for s, m, w in V.SOURCES]
    tail_mediums = list(mediums.values())
    for rank in range(1, V.LONG_TAIL_SOURCES + 1):
        source = _get_or_create(env, "utm.source", f"Campaign partner {rank:02d}")
        sources.append((source.id, tail_mediums[rank % len(tail_mediums)], 12.0 / rank))  # Zipf tail
    sources.append((None, None, V.NO_SOURCE_WEIGHT))
    ref["sources"] = sources
    ref["campaigns"] = [_get_or_create(env, "utm.campaign", c).id for c in V.CAMPAIGNS]

    ref["size_tags"] = [(_get_or_create(env, "crm.tag", n).id, w) for n, w in V.SIZE_TAGS]
    ref["product_tags"] = [_get_or_create(env, "crm.tag", n).id for n in V.PRODUCT_TAGS]
    ref["lost_reasons"] = [(_get_or_create(env, "crm.lost.reason", n).id, w) for n, w in V.LOST_REASONS]

    countries = {}
    for code, (weight, prefix, cities) in V.COUNTRIES.items():
        country = env["res.country"].search([("code", "=", code)], limit=1)
        places = []
        for city, state_code, zip_code in cities:
            state = (
                env["res.country.state"].search([("country_id", "=", country.id), ("code", "=", state_code)], limit=1)
                if state_code
                else env["res.country.state"]
            )
            places.append((city, state.id or None, zip_code))
        countries[code] = (country, weight, prefix, places)
    ref["countries"] = countries

    # customers: companies that leads come from again and again
    wanted = min(len(V.COMPANY_WORDS_A) * len(V.COMPANY_WORDS_B), max(20, lead_count // 200))
    names = [f"{a} {b}" for a in V.COMPANY_WORDS_A for b in V.COMPANY_WORDS_B]
    rnd.shuffle(names)
    names = names[:wanted]
    existing = env["res.partner"].search_read([("name", "in", names), ("is_company", "=", True)], ["name"])
    done = {row["name"] for row in existing}
    codes = list(countries)
    country_weights = [countries[c][1] for c in codes]
    to_create = []
    for name in names:  # draw for every name, so that a rerun consumes the same random numbers
        code = rnd.choices(codes, country_weights)[0]
        country, _weight, prefix, places = countries[code]
        city, state_id, zip_code = rnd.choice(places)
        phone = f"{prefix} {rnd.randint(200, 999)} 555 {rnd.randint(1000, 9999)}"
        if name not in done:
            to_create.append(
                {
                    "name": name,
                    "is_company": True,
                    "country_id": country.id,
                    "state_id": state_id,
                    "city": city,
                    "zip": zip_code,
                    "email": f"info@{_company_domain(name)}",
                    "phone": phone,
                }
            )
    if to_create:
        env["res.partner"].create(to_create)
    partners = env["res.partner"].search_read(
        [("name", "in", names), ("is_company", "=", True)], ["name", "country_id", "state_id", "city", "zip", "lang"]
    )
    lang_ids = {code: env["res.lang"]._lang_get_id(code) for code in {p["lang"] for p in partners if p["lang"]}}
    ref["partners"] = [
        (
            p["id"],
            p["name"],
            p["country_id"][0] if p["country_id"] else None,
            p["state_id"][0] if p["state_id"] else None,
            p["city"] or None,
            p["zip"] or None,
            lang_ids.get(p["lang"]) or None,
        )
        for p in sorted(partners, key=lambda p: p["id"])
    ]
    ref["company_names"] = sorted(f"{a} {b}" for a in V.COMPANY_WORDS_A for b in V.COMPANY_WORDS_B)
    stages = env["crm.stage"].search([], order="sequence, id")
    ref["open_stages"] = stages.filtered(lambda s: not s.is_won and not s.fold).ids or stages[:1].ids
    ref["won_stage"] = stages.filtered("is_won")[:1].id
    ref["company_id"] = env.company.id
    env.flush_all()
    return ref


class _Resellers:
    """Generated resellers, and the draw that hands a lead to them (declines and answers included).

    Its own random stream, so that the leads' other columns are the same with or without lead_tracking."""

    COLUMNS = ("reseller_id", "reseller_assigned_date", "reseller_answered_date")
    # The declines relation's columns: the lead, the reseller, when it declined and when it was offered.
    DECLINE_COLUMNS = ("lead_id", "partner_id", "lt_declined_date", "lt_offered_date")
    MESSAGE_COLUMNS = (
        "model",
        "res_id",
        "message_type",
        "subtype_id",
        "author_id",
        "body",
        "date",
        "create_date",
        "create_uid",
        "write_date",
        "write_uid",
    )

    def __init__(self, env, seed, lead_count, countries):
        self.rnd = random.Random(seed + 1)
        self.declines, self.messages = [], []
        self.subtype_id = env.ref("mail.mt_comment").id
        rnd = self.rnd
        low, high = V.RESELLER_BOUNDS
        count = min(high, max(low, lead_count // V.RESELLER_LEADS))
        levels = [env.ref(x) for x, _w in V.RESELLER_LEVELS]
        level_weights = [w for _x, w in V.RESELLER_LEVELS]
        activations = [env.ref(x).id for x, _w in V.RESELLER_ACTIVATIONS]
        activation_weights = [w for _x, w in V.RESELLER_ACTIVATIONS]
        country_list = [c[0].id for c in countries.values()]
        names = [f"{a} {b} Partners" for a in V.COMPANY_WORDS_A for b in V.COMPANY_WORDS_B]
        rnd.shuffle(names)
        partner_model = env["res.partner"].with_context(active_test=False)
        today = env.cr.now().date()
        names = names[:count]
        drawn = []  # drawn for every name, so that a rerun consumes the same random numbers
        for name in names:
            level = rnd.choices(levels, level_weights)[0]
            drawn.append(
                {
                    "name": name,
                    "is_company": True,
                    "reseller_level_id": level.id,
                    "reseller_activation_id": rnd.choices(activations, activation_weights)[0],
                    "country_id": rnd.choice(country_list),
                    "reseller_partnership_date": today - timedelta(days=int(30 + rnd.random() * 1500)),
                    "reseller_published": True,
                    "email": f"sales@{_company_domain(name)}",
                }
            )
        domain = [("name", "in", names), ("is_company", "=", True)]
        done = {row["name"] for row in partner_model.search_read(domain, ["name"])}
        created = partner_model.create([values for values in drawn if values["name"] not in done])
        partner_model.create([{"name": f"Sales desk, {r.name}", "parent_id": r.id, "type": "contact"} for r in created])
        reseller_of = {row["name"]: row["id"] for row in partner_model.search_read(domain, ["name"])}
        contacts = partner_model.search_read([("parent_id", "in", list(reseller_of.values()))], ["parent_id"])
        contact_of = {}
        for row in contacts:
            contact_of.setdefault(row["parent_id"][0], row["id"])
        weight_of = {level.id: level.weight for level in levels}
        self.partners = [  # (reseller id, contact id, weight)
            (reseller_of[v["name"]], contact_of[reseller_of[v["name"]]], weight_of[v["reseller_level_id"]])
            for v in drawn
        ]
        self.cum = list(_cumulate(p[2] for p in self.partners))

    def _choose(self, other=None):
        for _attempt in range(3):
            partner = self.partners[_pick(self.cum, self.rnd.random())]
            if partner[0] != other:
                return partner
        return None

    def _message(self, lead_id, contact_id, body, when):
        self.messages.append(
            ("crm.lead", lead_id, "comment", self.subtype_id, contact_id, body, when, when, 1, when, 1)
        )

    def draw(self, lead_id, lead_type, created, end):
        """(reseller_id, reseller_assigned_date, reseller_answered_date) of one lead; declines and answers are
        kept aside.

        ``end`` is when the lead closed (or now): the reseller story happens before it."""
        rand = self.rnd.random
        if rand() >= V.RESELLER_SHARE:
            return (None, None, None)
        span = max((end - created).total_seconds(), 60.0)
        start = created
        declined = None
        if rand() < V.RESELLER_DECLINED:
            declined = self._choose()
            start = created + timedelta(seconds=int(span * 0.3 * rand()))
            self.declines.append((lead_id, declined[0], start, created))
            self._message(lead_id, declined[1], "<p>Not interested: not our market.</p>", start)
            if rand() >= V.RESELLER_REASSIGNED:
                return (None, None, None)
        reseller = self._choose(declined and declined[0])
        if not reseller:
            return (None, None, None)
        assigned = min(start + timedelta(seconds=int(span * 0.3 * rand())), end)
        answered = None
        if lead_type == "opportunity" or rand() < V.RESELLER_PENDING_ANSWERED:
            hours = self.rnd.expovariate(1 / V.RESELLER_ANSWER_HOURS)
            answered = min(assigned + timedelta(seconds=int(hours * 3600)), end)
            self._message(lead_id, reseller[1], "<p>We contacted the customer.</p>", answered)
        return (reseller[0], assigned, answered)


def _company_domain(name):
    return name.lower().replace(" ", "-") + ".example.com"


def _email_rules(env):
    """Per email domain: (email_state, domain criterion is the domain) computed with crm's own helpers."""
    from odoo import tools
    from odoo.addons.iap.tools import iap_tools
    from odoo.addons.mail.tools import mail_validation

    def rule(domain):
        sample = f"jane.doe7@{domain}"
        state = "correct" if mail_validation.mail_validate(sample) else "incorrect"
        normalized = tools.email_normalize(sample)
        if normalized != sample:
            raise RuntimeError(f"generated address {sample} does not normalize to itself")
        criterion = iap_tools.mail_prepare_for_domain_search(normalized)
        return state, criterion.startswith("@")

    return rule


def _phone_pool(env, rnd, countries, size):
    """Distinct phone numbers per country code (None: leads without country), with crm's own
    phone_sanitized and phone_state for each: (phone, sanitized, state)."""
    from odoo.addons.phone_validation.tools import phone_validation
    from odoo.exceptions import UserError

    lead_model = env["crm.lead"]
    pool = {}
    total_weight = sum(c[1] for c in countries.values())
    for code in [*countries, None]:
        if code:
            country, weight, prefix, _places = countries[code]
        else:
            country, weight, prefix = env["res.country"], V.NO_COUNTRY_WEIGHT, None
        entries = []
        for _ in range(max(30, int(size * weight / total_weight))):
            pre = prefix or rnd.choice([c[2] for c in countries.values()])
            number = f"{pre} {rnd.randint(200, 989)} {rnd.randint(10, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)}"
            sanitized = lead_model._phone_format(number=number, country=country) or None
            state = None
            try:
                if phone_validation.phone_parse(number, country.code or None):
                    state = "correct"
            except UserError:
                state = "incorrect"
            entries.append((number, sanitized, state))
        pool[code] = entries
    return pool


# ---------------------------------------------------------------------------------------------
# leads
# ---------------------------------------------------------------------------------------------
def _lead_rows(env, rnd, ref, count, first_id, now, info, unassigned=False):
    """Yield crm_lead rows; fill ``info`` with what tags and activities need (per lead)."""
    email_rule = _email_rules(env)
    email_cache = {}
    codes = [*ref["countries"], None]
    cweights = [ref["countries"][c][1] for c in ref["countries"]] + [V.NO_COUNTRY_WEIGHT]
    phone_pool = _phone_pool(env, rnd, ref["countries"], min(max(count // 20, 500), 20_000))
    teams = ref["teams"]
    team_weights = [t[1] for t in teams]
    src = ref["sources"]
    src_cum = list(_cumulate(s[2] for s in src))
    lost_ids = [r[0] for r in ref["lost_reasons"]]
    lost_cum = list(_cumulate(r[1] for r in ref["lost_reasons"]))
    free_domains = [d for d, _w in V.FREEMAIL_DOMAINS]
    free_cum = list(_cumulate(w for _d, w in V.FREEMAIL_DOMAINS))
    partners, company_names = ref["partners"], ref["company_names"]
    open_stages = ref["open_stages"]
    stage_cum = list(_cumulate([45, 30, 25, 15, 10, 5, 5, 5][: len(open_stages)]))
    lost_stage_cum = list(_cumulate([40, 35, 25, 10, 5, 5, 5, 5][: len(open_stages)]))
    code_of_country = {c[0].id: code for code, c in ref["countries"].items()}
    company_id = ref["company_id"]
    rand, choices, expo = rnd.random, rnd.choices, rnd.expovariate
    tags_of, user_of, name_of, state_of = info["tags"], info["user"], info["name"], info["state"]
    size_tags = [t for t, _w in ref["size_tags"]] + [None]  # the last bucket: no size tag
    size_cum = list(_cumulate([w for _t, w in ref["size_tags"]] + [100 - sum(w for _t, w in ref["size_tags"])]))
    product_tags = ref["product_tags"]
    resellers = ref.get("resellers")
    day = 86400.0

    for n in range(count):
        lead_id = first_id + n
        age = 365.0 * rand() ** 1.6  # more leads lately
        create = now - timedelta(seconds=int(age * day) + 3600)
        if unassigned:
            state = "open"
        else:
            p_open = 0.7 if age < 30 else 0.35 if age < 90 else 0.04
            r = rand()
            state = "open" if r < p_open else "won" if r < p_open + (1 - p_open) * 0.16 else "lost"
        # who
        if unassigned:
            team_id = user_id = None
        else:
            team_id, _w, members = choices(teams, team_weights)[0]
            user_id = choices(members, [m[1] for m in members])[0][0]
            if state == "open" and rand() < 0.35 or state == "lost" and rand() < 0.12:
                user_id = None
        lead_type = "opportunity" if user_id and rand() < 0.85 else "lead"
        # customer and location
        partner_id = lang_id = None
        if not unassigned and rand() < 0.3:
            partner_id, company, country_id, state_id, city, zip_code, lang_id = partners[int(rand() * len(partners))]
            code = code_of_country.get(country_id)
        else:
            company = company_names[int(rand() * len(company_names))]
            code = choices(codes, cweights)[0]
            if code:
                country, _w, _p, places = ref["countries"][code]
                city, state_id, zip_code = places[int(rand() * len(places))]
                country_id = country.id
            else:
                country_id = state_id = city = zip_code = None
        first, last = V.FIRST_NAMES[int(rand() * len(V.FIRST_NAMES))], V.LAST_NAMES[int(rand() * len(V.LAST_NAMES))]
        # email: company domain, free mail, malformed, or none
        r = rand()
        email = normalized = criterion = email_state = None
        if r < 0.93:
            domain = _company_domain(company) if r < 0.58 else free_domains[_pick(free_cum, rand())]
            rule = email_cache.get(domain) or email_cache.setdefault(domain, email_rule(domain))
            email = normalized = f"{first.lower()}.{last.lower()}{lead_id}@{domain}"
            email_state = rule[0]
            criterion = f"@{domain}" if rule[1] else normalized
        elif r < 0.95:
            email = f"{first.lower()} at {_company_domain(company)}"  # typed by hand, not an address
            email_state = "incorrect"  # and no normalized email, hence no domain criterion
        phone = sanitized = phone_state = None
        if rand() < 0.68:
            entries = phone_pool[code]
            phone, sanitized, phone_state = entries[int(rand() * len(entries))]
        # marketing
        source_id, medium_id, _w = src[_pick(src_cum, rand())]
        campaign_id = ref["campaigns"][int(rand() * len(ref["campaigns"]))] if source_id and rand() < 0.4 else None
        # dates
        date_open = date_conversion = date_closed = day_open = day_close = date_deadline = None
        if user_id:
            date_open = min(create + timedelta(seconds=int(expo(1 / 1.5) * day)), now)
            day_open = (date_open - create).days
            if lead_type == "opportunity":
                date_conversion = date_open
        if state == "open":
            stage_id = open_stages[_pick(stage_cum, rand())] if not unassigned else open_stages[0]
            span = (now - (date_open or create)).total_seconds()
            last_update = (date_open or create) + timedelta(seconds=int(span * rand()))
            if lead_type == "opportunity":
                date_deadline = (create + timedelta(days=30 + int(rand() * 90))).date()
            active = True
            lost_reason = None
            if unassigned:
                probability = round(2 + rand() * 80, 2)  # a mix, so that probability-based domains split them
                automated = probability
            elif rand() < 0.08:
                probability, automated = float(int(5 + rand() * 85)), None  # typed by hand
            else:
                probability = automated = None  # crm's scoring fills them
        else:
            mean = 45 if state == "won" else 25
            date_closed = min(create + timedelta(seconds=int(expo(1 / mean) * day)), now - timedelta(minutes=5))
            if date_open and date_open > date_closed:
                date_open = date_conversion = date_closed
                day_open = (date_open - create).days
            day_close = (date_closed - create).days
            last_update = date_closed
            if state == "won":
                stage_id, active, probability, automated, lost_reason = ref["won_stage"], True, 100.0, 100.0, None
            else:
                stage_id = open_stages[_pick(lost_stage_cum, rand())]
                active, probability, automated = False, 0.0, 0.0
                lost_reason = lost_ids[_pick(lost_cum, rand())] if rand() < 0.85 else None
        revenue = round(math.exp(rnd.gauss(8.6, 0.9)), -2) if lead_type == "opportunity" or state == "won" else 0.0
        prorated = None if probability is None else round(revenue * probability / 100.0, 2)
        # tags
        tags = []
        size_tag = size_tags[_pick(size_cum, rand())]
        if size_tag:
            tags.append(size_tag)
        if rand() < 0.3:
            tags.append(product_tags[int(rand() * len(product_tags))])
        tags_of.append(tags)
        user_of.append(user_id)
        subject = V.LEAD_SUBJECTS[int(rand() * len(V.LEAD_SUBJECTS))].format(company=company)
        name_of.append(subject)
        state_of.append(state)
        priority = "0" if (r := rand()) < 0.5 else "1" if r < 0.8 else "2" if r < 0.95 else "3"
        row = (
            lead_id,
            subject,
            lead_type,
            active,
            priority,
            0,
            0,
            company_id,
            team_id,
            user_id,
            stage_id,
            partner_id,
            company,
            f"{first} {last}",
            email,
            normalized,
            criterion,
            email_state,
            phone,
            sanitized,
            phone_state,
            country_id,
            state_id,
            city,
            zip_code,
            None,
            lang_id,
            source_id,
            medium_id,
            campaign_id,
            "Appointment" if source_id and rand() < 0.01 else None,
            V.DESCRIPTIONS[int(rand() * len(V.DESCRIPTIONS))] if rand() < 0.25 else None,
            revenue,
            prorated,
            0,
            0,
            0,
            probability,
            automated,
            lost_reason,
            date_open,
            date_closed,
            last_update,
            date_conversion,
            date_deadline,
            day_open,
            day_close,
            create,
            1,
            last_update,
            user_id or 1,
        )
        yield row + resellers.draw(lead_id, lead_type, create, date_closed or now) if resellers else row


def _cumulate(weights):
    total = 0
    for weight in weights:
        total += weight
        yield total


def _pick(cum, u):
    """Index of a weighted bucket: ``cum`` are cumulated weights, ``u`` uniform in [0, 1)."""
    return min(bisect.bisect_right(cum, u * cum[-1]), len(cum) - 1)


# ---------------------------------------------------------------------------------------------
# activities
# ---------------------------------------------------------------------------------------------
def _activity_rows(env, rnd, info, first_id, count, now):
    """Activities on active leads (mostly open ones), their deadlines clustered around today."""
    model_id = env["ir.model"]._get_id("crm.lead")
    types = []
    for xmlid, summaries in V.ACTIVITY_SUMMARIES.items():
        activity_type = env.ref(xmlid, raise_if_not_found=False)
        if activity_type:
            types.append((activity_type.id, summaries))
    targets, weights = [], []
    for n, state in enumerate(info["state"]):
        if state != "lost":
            targets.append(n)
            weights.append(6 if state == "open" else 1)
    if not targets:
        return
    cum = list(_cumulate(weights))
    picked = rnd.choices(targets, cum_weights=cum, k=count)
    picked.sort()  # rows in lead order, like activities created over time
    today = now.date()
    rand, gauss = rnd.random, rnd.gauss
    users, names = info["user"], info["name"]
    fallback_users = [m[0] for t in info["teams"] for m in t[2]]
    for n in picked:
        r = rand()
        if r < 0.55:
            offset = int(round(gauss(0, 3)))
        elif r < 0.85:
            offset = -int(4 + rand() * 56)
        else:
            offset = int(4 + rand() * 41)
        type_id, summaries = types[int(rand() * len(types))]
        user_id = users[n] or fallback_users[n % len(fallback_users)]
        created = now - timedelta(days=max(0, -offset) + int(rand() * 10), seconds=int(rand() * 86400))
        yield (
            model_id,
            "crm.lead",
            first_id + n,
            names[n],
            type_id,
            summaries[int(rand() * len(summaries))],
            today + timedelta(days=offset),
            user_id,
            False,
            True,
            created,
            1,
            created,
            1,
        )


# ---------------------------------------------------------------------------------------------
# predictive lead scoring
# ---------------------------------------------------------------------------------------------
def rebuild_scoring_frequencies(env):
    """Rebuild crm.lead.scoring.frequency set-based: the counts crm's own rebuild
    (``_rebuild_pls_frequency_table``) makes, with one INSERT ... SELECT."""
    cr = env.cr
    lead_model = env["crm.lead"]
    start = lead_model._pls_get_safe_start_date()
    cr.execute("TRUNCATE TABLE crm_lead_scoring_frequency")
    if not start:
        return 0
    fields = [f for f in lead_model._pls_get_safe_fields() if f not in ("stage_id", "team_id")]
    parts = [
        # stage: a won lead counts in every stage, a lost one in its stage and the ones before
        """SELECT l.team_id, 'stage_id' AS variable, s.id::text AS value, l.won, l.lost
             FROM closed l JOIN crm_stage cur ON cur.id = l.stage_id
             JOIN crm_stage s ON l.won = 1 OR s.sequence <= cur.sequence"""
    ]
    for fname in fields:
        if fname == "tag_ids":
            parts.append(
                """SELECT l.team_id, 'tag_id', r.tag_id::text, l.won, l.lost
                     FROM closed l JOIN crm_tag_rel r ON r.lead_id = l.id"""
            )
        elif fname in ("email_state", "phone_state"):
            parts.append(
                f"SELECT l.team_id, '{fname}', COALESCE(l.{fname}::text, 'False'), l.won, l.lost FROM closed l"
            )
        else:
            parts.append(
                f"SELECT l.team_id, '{fname}', l.{fname}::text, l.won, l.lost FROM closed l WHERE l.{fname} IS NOT NULL"
            )
    columns = ", ".join(sorted({"id", "team_id", "stage_id"} | {f for f in fields if f != "tag_ids"}))
    cr.execute(
        f"""
        WITH closed AS (
            SELECT {columns}, CASE WHEN probability = 100 THEN 1 ELSE 0 END AS won,
                   CASE WHEN probability = 0 THEN 1 ELSE 0 END AS lost
              FROM crm_lead
             WHERE create_date >= %s AND (probability = 100 OR (probability = 0 AND active IS NOT TRUE))
        ), counts AS ({" UNION ALL ".join(parts)})
        INSERT INTO crm_lead_scoring_frequency
               (team_id, variable, value, won_count, lost_count, create_uid, create_date, write_uid, write_date)
        SELECT NULLIF(team_id, 0), variable, value, SUM(won) + 0.1, SUM(lost) + 0.1,
               1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM counts
         GROUP BY team_id, variable, value
        """,
        (start,),
    )
    return cr.rowcount


def update_probabilities(env):
    """Frequency table, then crm's own batch update of the open leads' automated probabilities."""
    rows = rebuild_scoring_frequencies(env)
    lead_model = env["crm.lead"]
    lead_model.invalidate_model()
    lead_model._update_automated_probabilities()
    # Leads crm could not score (no won or lost history in their team) keep what crm gives a new lead.
    env.cr.execute(
        """UPDATE crm_lead SET automated_probability = 0, probability = COALESCE(probability, 0)
            WHERE automated_probability IS NULL"""
    )
    env.cr.execute(
        """UPDATE crm_lead
              SET prorated_revenue = ROUND((COALESCE(expected_revenue, 0) * probability / 100.0)::numeric, 2)
            WHERE active AND probability > 0 AND probability < 100"""
    )
    lead_model.invalidate_model()
    return rows


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------
def generate(cr, leads, activities, seed=42, refresh_lead_tracking=True, verbose=True, resellers=None):
    """Add ``leads`` generated leads and ``activities`` activities to the database of ``cr``.

    ``resellers``: hand leads to generated resellers (default: when lead_tracking is installed).
    Returns a dict of figures (counts and seconds per step).  The caller commits (a big load also
    commits once, before rebuilding the indexes)."""
    from odoo import SUPERUSER_ID, api

    say = log if verbose else (lambda _m: None)
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    rnd = random.Random(seed)
    figures = {"leads": leads, "activities": activities, "seed": seed}
    started = time.monotonic()
    now = env.cr.now().replace(microsecond=0)
    ref = _reference_data(env, rnd, leads)
    if resellers is None:
        resellers = "reseller_id" in env["crm.lead"]._fields  # lead_tracking is installed
    if resellers:
        ref["resellers"] = _Resellers(env, seed, leads, ref["countries"])
    figures["reference_s"] = round(time.monotonic() - started, 1)
    say(f"reference data ready ({figures['reference_s']} s)")

    info = {"tags": [], "user": [], "name": [], "state": [], "teams": ref["teams"]}
    big = leads + activities >= BULK_INDEX_THRESHOLD
    step = time.monotonic()
    with _BulkLoad(cr, ("crm_lead", "crm_tag_rel", "mail_activity"), big):
        first_lead = _reserve_ids(cr, "crm_lead", leads) if leads else 0
        resellers = ref.get("resellers")
        columns = LEAD_COLUMNS + (resellers.COLUMNS if resellers else ())
        _copy(cr, "crm_lead", columns, _lead_rows(env, rnd, ref, leads, first_lead, now, info))
        figures["copy_leads_s"] = round(time.monotonic() - step, 1)
        say(f"{leads} leads written ({figures['copy_leads_s']} s)")
        if resellers:
            declined = env["crm.lead"]._fields["reseller_declined_ids"]
            figures["reseller_declines"] = _copy(cr, declined.relation, resellers.DECLINE_COLUMNS, resellers.declines)
            figures["reseller_messages"] = _copy(cr, "mail_message", resellers.MESSAGE_COLUMNS, resellers.messages)
            say(
                f"{len(resellers.partners)} resellers, {figures['reseller_declines']} declines, "
                f"{figures['reseller_messages']} reseller messages written"
            )
        step = time.monotonic()
        tag_rows = ((first_lead + n, tag) for n, tags in enumerate(info["tags"]) for tag in tags)
        figures["lead_tags"] = _copy(cr, "crm_tag_rel", ("lead_id", "tag_id"), tag_rows)
        figures["activities"] = _copy(
            cr, "mail_activity", ACTIVITY_COLUMNS, _activity_rows(env, rnd, info, first_lead, activities, now)
        )
        figures["copy_activities_s"] = round(time.monotonic() - step, 1)
        say(f"{figures['activities']} activities written ({figures['copy_activities_s']} s)")
        del info
        cr.execute("ANALYZE crm_lead")
        cr.execute("ANALYZE crm_tag_rel")
        cr.execute("ANALYZE mail_activity")

        # Predictive lead scoring learns from the whole generated history. It and lead_tracking's refresh
        # rewrite every lead: done before the indexes are rebuilt, so that the rewrites neither pay for
        # ~30 index entries per lead nor leave the rebuilt indexes two or three times their size.
        step = time.monotonic()
        cr.execute("SELECT MIN(create_date)::date FROM crm_lead")
        oldest = cr.fetchone()[0]
        params = env["ir.config_parameter"].sudo()
        current = params.get_param("crm.pls_start_date")
        if oldest and (not current or str(oldest) < current):
            params.set_param("crm.pls_start_date", str(oldest))
        figures["frequencies"] = update_probabilities(env)
        figures["scoring_s"] = round(time.monotonic() - step, 1)
        say(f"probabilities computed ({figures['scoring_s']} s)")

        if refresh_lead_tracking:
            figures["lead_tracking_refresh_s"] = refresh_lead_tracking_columns(env)
        step = time.monotonic()
    figures["indexes_s"] = round(time.monotonic() - step, 1)
    cr.execute("ANALYZE crm_lead")
    cr.execute("ANALYZE mail_activity")
    env.invalidate_all()
    figures["total_s"] = round(time.monotonic() - started, 1)
    say(f"done in {figures['total_s']} s")
    return figures


def refresh_lead_tracking_columns(env, lead_ids=None):
    """Let lead_tracking fill its stored columns set-based (of ``lead_ids``, else of every lead), when
    it is installed and offers it: leads created through the ORM get them at once."""
    lead_model = env["crm.lead"]
    if not hasattr(lead_model, "_lt_refresh_all"):
        return None
    step = time.monotonic()
    lead_model._lt_refresh_all(lead_ids)
    env.flush_all()
    return round(time.monotonic() - step, 1)


def build_assignment_scenario(cr, leads=20_000, capacity=24_000, seed=42, verbose=True):
    """Unassigned leads and a sales organisation for rule-based assignment.

    ``leads`` leads of type lead without salesperson or team, mixed probabilities;
    5 teams whose assignment domains overlap (on country and probability); 30
    members whose capacities (assignment_max) are mixed and sum to ``capacity``;
    rule-based assignment switched on; every other team opts out of it.  Returns the team ids."""
    from odoo import SUPERUSER_ID, api

    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
    rnd = random.Random(seed)
    now = env.cr.now().replace(microsecond=0)
    ref = _reference_data(env, rnd, leads, with_teams=False)
    env["ir.config_parameter"].sudo().set_param("crm.lead.auto.assignment", True)
    europe = "['BE', 'FR', 'DE', 'NL', 'ES', 'IT', 'GB']"
    americas = "['US', 'CA', 'BR', 'MX']"
    plans = [
        ("Assign Europe", f"[('country_id.code', 'in', {europe})]", 7),
        ("Assign Americas", f"[('country_id.code', 'in', {americas})]", 6),
        ("Assign Hot Leads", "[('probability', '>=', 40)]", 5),
        ("Assign Europe Warm", f"['&', ('country_id.code', 'in', {europe}), ('probability', '>=', 20)]", 5),
        ("Assign Everyone Else", "[]", 7),
    ]
    # Mixed capacities that sum exactly to ``capacity``.
    raw = [rnd.choice([1, 1, 2, 2, 3, 4, 6]) for _ in range(sum(p[2] for p in plans))]
    caps = [max(1, int(capacity * r / sum(raw))) for r in raw]
    caps[caps.index(max(caps))] += capacity - sum(caps)
    salesman_group = env.ref("sales_team.group_sale_salesman")
    group_user = env.ref("base.group_user")
    team_ids, k = [], 0
    for name, domain, size in plans:
        team = _get_or_create(env, "crm.team", name, {"use_leads": True, "use_opportunities": True})
        team.write({"assignment_domain": domain, "assignment_optout": False})
        for _ in range(size):
            login = f"assign.sales{k:02d}@leadtracking.example.com"
            user = env["res.users"].with_context(active_test=False).search([("login", "=", login)], limit=1)
            if not user:
                user = (
                    env["res.users"]
                    .with_context(no_reset_password=True)
                    .create(
                        {
                            "name": f"Assign {V.FIRST_NAMES[k % len(V.FIRST_NAMES)]} {k:02d}",
                            "login": login,
                            "email": login,
                            "groups_id": [(6, 0, [group_user.id, salesman_group.id])],
                        }
                    )
                )
            member = env["crm.team.member"].search([("crm_team_id", "=", team.id), ("user_id", "=", user.id)])
            values = {"assignment_max": caps[k], "assignment_optout": False}
            if member:
                member.write(values)
            else:
                env["crm.team.member"].create({"crm_team_id": team.id, "user_id": user.id, **values})
            k += 1
        team_ids.append(team.id)
    # Only the scenario's teams take part in rule-based assignment.
    env["crm.team"].search([("id", "not in", team_ids)]).write({"assignment_optout": True})
    env.flush_all()
    info = {"tags": [], "user": [], "name": [], "state": [], "teams": ref["teams"]}
    first = _reserve_ids(cr, "crm_lead", leads)
    old = now - timedelta(days=2)  # older than any assignment delay
    rows = _lead_rows(env, rnd, ref, leads, first, old, info, unassigned=True)
    _copy(cr, "crm_lead", LEAD_COLUMNS, rows)
    _copy(
        cr, "crm_tag_rel", ("lead_id", "tag_id"), ((first + n, t) for n, tags in enumerate(info["tags"]) for t in tags)
    )
    # One lead in twenty came in twice: the same person wrote again (same email), so that a run
    # merges duplicates as crm's own assignment does.
    cr.execute(
        """UPDATE crm_lead l SET email_from = p.email_from, email_normalized = p.email_normalized,
                  email_domain_criterion = p.email_domain_criterion, email_state = p.email_state
             FROM crm_lead p
            WHERE p.id = l.id - 1 AND l.id BETWEEN %s AND %s AND (l.id - %s) %% 20 = 19
              AND p.email_normalized IS NOT NULL""",
        [first, first + leads - 1, first],
    )
    duplicates = cr.rowcount
    env.invalidate_all()
    refresh_lead_tracking_columns(env, list(range(first, first + leads)))
    cr.execute("ANALYZE crm_lead")
    env.invalidate_all()
    if verbose:
        log(f"assignment scenario: {leads} unassigned leads ({duplicates} duplicates), {len(team_ids)} teams, "
            f"{k} members, capacity {sum(caps)}")
    return team_ids


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------
def create_database(cluster, config, dbname, lead_tracking=False, logfile=None):
    """Create ``dbname`` with crm (and lead_tracking) installed, without demo data."""
    from . import pg
    from .odoo_env import run_odoo

    modules = "crm,lead_tracking" if lead_tracking else "crm"
    logfile = logfile or pg.RUN / f"datagen-{dbname}.log"
    code = run_odoo(config, "-d", dbname, "-i", modules, "--without-demo=all", "--stop-after-init", log=logfile)
    if code:
        raise RuntimeError(f"Installing {modules} in {dbname} failed; see {logfile}")


def _database_exists(config, dbname):
    from .odoo_env import load_odoo

    odoo = load_odoo(config)
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
        return bool(cr.fetchone())


def parse_args(argv=None):
    """``make data``'s options; ``activities`` defaults to as many as leads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="lead_tracking_data", help="database (created with crm if missing)")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=None, help="default: as many as leads")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lead-tracking", action="store_true", help="install lead_tracking too when creating the DB")
    parser.add_argument(
        "--assignment", type=int, metavar="LEADS", help="also add an assignment scenario of LEADS leads"
    )
    parser.add_argument("--config", help="use this Odoo configuration file and its server instead of .run/pg")
    parser.add_argument("--capacity", type=int, default=24_000, help="total member capacity of the assignment scenario")
    args = parser.parse_args(argv)
    if args.activities is None:
        args.activities = args.leads
    return args


def main(argv=None):
    """Entry point of ``make data``."""
    args = parse_args(argv)
    activities = args.activities

    from . import pg
    from .odoo_env import environment, require_odoo, write_config

    require_odoo()
    with contextlib.ExitStack() as stack:
        if args.config:  # an existing Odoo configuration and its server
            cluster, config = None, args.config
        else:
            cluster = stack.enter_context(pg.running("pg"))
            config = write_config(cluster, "datagen")
        started = time.monotonic()
        if not _database_exists(config, args.db):
            log(f"creating {args.db} with crm{' and lead_tracking' if args.lead_tracking else ''} ...")
            create_database(cluster, config, args.db, lead_tracking=args.lead_tracking)
        with environment(config, args.db) as env:
            figures = generate(env.cr, args.leads, activities, seed=args.seed)
            if args.assignment:
                build_assignment_scenario(env.cr, args.assignment, args.capacity, seed=args.seed)
        log(
            f"{args.db}: {args.leads} leads, {activities} activities in {time.monotonic() - started:.0f} s "
            f"(generation {figures['total_s']} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
