"""The six reports' default grouped read (as their graph view asks it) against the same question asked the
documentation's way: crm.lead read_group with custom filters, on copies of one database in the same run."""

from datetime import date, timedelta

TITLE = "reports: default graph read_group of each report vs crm.lead read_group with the docs' filters"


def _cases(today):
    d30 = (today - timedelta(days=30)).isoformat()
    both = [("active", "in", [True, False])]
    return [
        # name, report model, domain, measures, groupby, anchor domain, anchor measures, anchor groupby
        (
            "unattended",
            "crm.lead.unattended.report",
            [],
            ["__count"],
            ["stage_id"],
            [("activity_date_deadline", "<=", today.isoformat()), ("user_id", "!=", False)],
            ["__count"],
            ["stage_id"],
        ),
        (
            "quality",
            "crm.lead.quality.report",
            [("date_received", ">=", d30)],
            ["__count", "quality_count:sum"],
            ["user_id", "status"],
            [("create_date", ">=", d30), *both],
            ["__count", "is_quality_lead:count"],
            ["user_id", "active"],
        ),
        (
            "distribution",
            "crm.lead.distribution.report",
            [],
            ["__count", "quality_count:sum", "kept_count:sum"],
            ["user_id"],
            [("user_id", "!=", False), *both],
            ["__count", "is_quality_lead:count"],
            ["user_id", "active"],
        ),
        (
            "attribution",
            "crm.lead.attribution.report",
            [],
            ["__count", "expected_revenue:sum"],
            ["medium_id"],
            both,
            ["__count", "expected_revenue:sum"],
            ["medium_id"],
        ),
        (
            "scoring",
            "crm.lead.scoring.report",
            [("is_closed", "=", True)],
            ["__count", "actual_won_rate:avg"],
            ["score_bucket"],
            [("probability", "in", [0, 100]), *both],
            ["__count"],
            ["probability"],
        ),
        (
            "partnership",
            "crm.reseller.report",
            [],
            ["__count", "won_revenue:sum"],
            ["reseller_id"],
            [("reseller_id", "!=", False), *both],
            ["__count"],
            ["reseller_id"],
        ),
    ]


def run(bench):
    """Each report's default read against its documentation anchor, 7 repeats after a warm-up."""
    leads = 20_000 if bench.quick else 1_000_000
    ours_db = bench.database(leads, leads)
    anchor_db = bench.database(leads, leads)
    repeat = 7
    cases = _cases(date.today())

    def reader(model, domain, measures, groupby):
        def read():
            model.invalidate_model()
            return model.read_group(domain, measures, groupby, lazy=False)

        return read

    anchors = {}
    with bench.env(anchor_db) as env:
        lead_model = env["crm.lead"].with_context(active_test=False)
        for name, _model, _domain, _measures, _groupby, a_domain, a_measures, a_groupby in cases:
            read = reader(lead_model, a_domain, a_measures, a_groupby)
            anchors[name] = bench.timed(read, repeat=repeat, warmup=1)
    with bench.env(ours_db) as env:
        for name, model, domain, measures, groupby, *_anchor in cases:
            read = reader(env[model], domain, measures, groupby)
            ours = bench.timed(read, repeat=repeat, warmup=1)
            groups, queries = bench.queries(read)
            bench.result(f"report {name}", ours, anchors[name], leads=leads, groups=len(groups), orm_queries=queries)
