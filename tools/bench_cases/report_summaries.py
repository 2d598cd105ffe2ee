"""Bench case: does each report summary pay for itself?

For every report that keeps a trigger-maintained summary (``_lt_summary``), on one database of
1,000,000 leads and 1,000,000 activities (quick: 20,000):

- its default read (what its default graph asks), answered by the summary ("ours") and by the
  lines, i.e. the SQL view over the covering indexes ("anchor"), warm (7 repeats after a warm-up)
  and cold (the first read after a PostgreSQL restart and a fresh Odoo registry);
- what its triggers cost on writes: a 100,000-lead SQL rewrite of the salesperson (10,000 quick)
  and a single-lead ORM write (write + flush), with only that summary's triggers in place ("ours")
  against no summary trigger at all ("anchor").

A summary is worth keeping when it makes the default read more than 3x faster, or turns a read
over 300 ms into one under it (see docs/reports.md).
"""

from datetime import date, timedelta

TITLE = "Report summaries: default read with / without the summary, and their cost on writes"

BULK_LEADS = 100_000
REPEAT = 7


def default_reads(today):
    """{model: (domain, aggregates, groupby)}: the read each report's default graph makes."""
    d30 = (today - timedelta(days=30)).isoformat()
    return {
        "crm.lead.unattended.report": ([("stage_id.is_won", "=", False)], ["__count"], ["stage_id"]),
        "crm.lead.quality.report": ([("date_received", ">=", d30)], ["__count", "quality_count:sum"],
                                    ["user_id", "status"]),
        "crm.lead.scoring.report": ([("is_closed", "=", True)],
                                    ["__count", "predicted_won_rate:avg", "actual_won_rate:avg"], ["score_bucket"]),
        "crm.reseller.report": ([], ["__count", "accepted_count:sum", "declined_count:sum", "won_count:sum",
                                     "won_revenue:sum"], ["level_id", "reseller_id"]),
        "crm.lead.attribution.report": ([], ["__count"], ["medium_id"]),
    }


def _read(env, model, read, summary):
    domain, aggregates, groupby = read
    report = env[model].with_user(env.ref("base.user_admin"))
    if not summary:
        report = report.with_context(lt_report_summary=False)

    def run():
        report.invalidate_model()
        return report._read_group(domain, groupby, aggregates)

    return run


def _cold(bench, dbname, model, read, summary):
    """Seconds of the first read after a server restart (PostgreSQL, and a new Odoo registry)."""
    bench._release(dbname)
    bench.cluster.restart()
    with bench.env(dbname) as env:
        env[model]  # the registry is loaded before the clock starts, as in a served request
        return bench.timed(_read(env, model, read, summary))


def _write_costs(env, bench, leads):
    """{summary table: (bulk seconds, single seconds)} and the same with no summary (key None)."""
    cr = env.cr
    summaries = env["lt.lead.report.mixin"]._lt_report_summaries()
    bulk = min(BULK_LEADS, leads // 10) if bench.quick else BULK_LEADS
    users = env["res.users"].search([("share", "=", False)], limit=2).ids
    lead = env["crm.lead"].search([("user_id", "!=", False)], limit=1)

    def rewrite():
        cr.execute(
            "UPDATE crm_lead SET user_id = CASE WHEN user_id = %s THEN %s ELSE %s END"
            " WHERE id IN (SELECT id FROM crm_lead ORDER BY id DESC LIMIT %s)",
            [users[0], users[1], users[0], bulk],
        )

    def measure():
        bulk_seconds = []
        for _ in range(3):
            bulk_seconds.extend(bench.timed(rewrite))
            cr.rollback()
        single = []
        for index in range(20):
            single.extend(bench.timed(lambda i=index: (lead.write({"user_id": users[i % 2]}), env.flush_all())))
        cr.rollback()
        env.invalidate_all()
        return bulk_seconds, single

    for summary in summaries:
        summary.drop(cr)
    cr.commit()
    costs = {None: measure()}
    for summary in summaries:
        summary.install(cr)
        cr.commit()
        costs[summary.table] = measure()
        summary.drop(cr)
        cr.commit()
    for summary in summaries:
        summary.install(cr)
    cr.commit()
    return costs, bulk


def run(bench):
    leads = 20_000 if bench.quick else 1_000_000
    dbname = bench.database(leads, leads)
    reads = default_reads(date.today())
    with bench.env(dbname) as env:
        summarised = {model: env[model]._lt_summary.table for model in reads if env[model]._lt_summary}
    for model, read in reads.items():
        if model not in summarised:
            continue
        cold = {flag: _cold(bench, dbname, model, read, flag) for flag in (True, False)}
        with bench.env(dbname) as env:
            warm = {flag: bench.timed(_read(env, model, read, flag), repeat=REPEAT, warmup=1) for flag in (True, False)}
            groups = len(_read(env, model, read, True)())
        bench.result(f"{model.split('.')[-2]} default read", warm[True], warm[False], leads=leads, groups=groups,
                     summary=summarised[model])
        bench.result(f"{model.split('.')[-2]} first read cold", cold[True], cold[False], leads=leads)
    with bench.env(dbname) as env:
        costs, bulk = _write_costs(env, bench, leads)
    none_bulk, none_single = costs.pop(None)
    for table, (bulk_seconds, single) in costs.items():
        bench.result(f"{table} {bulk:,}-lead rewrite", bulk_seconds, none_bulk, leads=leads)
        bench.result(f"{table} 1-lead ORM write", single, none_single, leads=leads)
