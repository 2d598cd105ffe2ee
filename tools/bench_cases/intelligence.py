"""Bench case: set-based refresh of score_tier, is_quality_lead and lifecycle_stage.

Ours: ``crm.lead._lt_refresh_all()`` over every lead, at 100,000 and 1,000,000 leads (quick:
10,000), so that the table shows how the time grows with the leads (linear: about 10x).
Anchor: a bare SQL UPDATE writing the same three columns over the same stale rows, with no logic.
Both run on exact copies of one generated database, in two situations:

- every value stale (the columns reset to NULL, as at install): every lead is rewritten;
- the daily refresh: one lead in twenty (and one customer in twenty) stale; ours still
  reads every lead to find them, the anchor updates exactly those rows.
"""

import time

from tools.bench import percentile

TITLE = "Lead intelligence refresh (score tier, quality, lifecycle) vs bare SQL UPDATE"

# (name, SQL condition of the stale rows)
SCENARIOS = [
    ("intelligence_refresh", "TRUE"),
    ("intelligence_refresh_daily", "id % 20 = 0"),
]


def _bare(rows):
    return (
        f"UPDATE crm_lead SET score_tier = 'cold', is_quality_lead = FALSE WHERE {rows};"
        f"UPDATE res_partner SET lifecycle_stage = 'lead' WHERE {rows} AND id IN (SELECT partner_id FROM crm_lead)"
    )


def _make_stale(env, rows):
    env.cr.execute(
        f"UPDATE crm_lead SET score_tier = NULL, is_quality_lead = NULL WHERE {rows};"
        f"UPDATE res_partner SET lifecycle_stage = NULL WHERE {rows}"
    )
    env.cr.commit()
    env.invalidate_all()


def run(bench):
    """Time our refresh against the bare UPDATE on two copies of the same database, per size."""
    sizes = [10_000] if bench.quick else [100_000, 1_000_000]
    smallest = {}
    for leads in sizes:
        _run_size(bench, leads, smallest)


def _run_size(bench, leads, smallest):
    """Measure one size; ``smallest`` keeps the first size's p50 per scenario for the growth figure."""
    # A million stale rows take minutes to reset: one timed pass there, its queries counted on it.
    repeat = 3 if leads <= 100_000 else 1
    ours_db = bench.database(leads)
    anchor_db = bench.database(leads)
    ours = {}
    with bench.env(ours_db) as env:
        # closing_score backfill is a one-off at install: keep it out of the timed refresh.
        env["crm.lead"]._lt_backfill_closing_score()
        env["crm.lead"]._lt_refresh_all()
        env.cr.commit()
        for name, rows in SCENARIOS:
            seconds = []
            for _index in range(repeat):
                _make_stale(env, rows)
                started = time.perf_counter()
                _result, queries = bench.queries(lambda: env["crm.lead"]._lt_refresh_all())
                seconds.append(time.perf_counter() - started)
                env.cr.commit()
            env.cr.execute(f"SELECT COUNT(*) FROM crm_lead WHERE {rows}")
            ours[name] = (seconds, queries, env.cr.fetchone()[0])
            env.cr.commit()
    with bench.env(anchor_db) as env:
        for name, rows in SCENARIOS:
            anchor = []
            for _index in range(repeat):
                _make_stale(env, rows)
                anchor.extend(bench.timed(lambda rows=rows: env.cr.execute(_bare(rows))))
                env.cr.commit()
            seconds, queries, stale = ours[name]
            figures = {"leads": leads, "stale_leads": stale, "queries": queries}
            base_leads, base_p50 = smallest.setdefault(name, (leads, percentile(seconds, 50)))
            if base_leads != leads:
                # Linear growth reads as leads / base_leads (10x from 100,000 to 1,000,000).
                figures[f"growth_vs_{base_leads}"] = round(percentile(seconds, 50) / base_p50, 2)
            bench.result(f"{name}_{leads}", seconds, anchor, **figures)
