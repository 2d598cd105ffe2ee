"""Bench case: set-based refresh of score_tier, is_quality_lead and lifecycle_stage.

Ours: ``crm.lead._lt_refresh_all()`` over every lead (100,000; quick: 10,000).
Anchor: a bare SQL UPDATE writing the same three columns over the same rows, with no logic.
Both run on exact copies of one generated database, after the columns are reset to NULL.
"""

TITLE = "Lead intelligence refresh (score tier, quality, lifecycle) vs bare SQL UPDATE"

RESET = (
    "UPDATE crm_lead SET score_tier = NULL, is_quality_lead = NULL;"
    "UPDATE res_partner SET lifecycle_stage = NULL;"
)
BARE = (
    "UPDATE crm_lead SET score_tier = 'cold', is_quality_lead = FALSE;"
    "UPDATE res_partner SET lifecycle_stage = 'lead' WHERE id IN (SELECT partner_id FROM crm_lead);"
)


def _reset(env):
    env.cr.execute(RESET)
    env.cr.commit()
    env.invalidate_all()


def run(bench):
    """Time our refresh against the bare UPDATE on two copies of the same database."""
    leads = 10_000 if bench.quick else 100_000
    repeat = 3
    ours_db = bench.database(leads)
    anchor_db = bench.database(leads)
    ours, anchor, queries = [], [], 0
    with bench.env(ours_db) as env:
        # closing_score backfill is a one-off at install: keep it out of the timed refresh.
        env["crm.lead"]._lt_backfill_closing_score()
        env.cr.commit()
        for _index in range(repeat):
            _reset(env)
            seconds = bench.timed(lambda: env["crm.lead"]._lt_refresh_all())
            ours.extend(seconds)
            env.cr.commit()
        _reset(env)
        _result, queries = bench.queries(lambda: env["crm.lead"]._lt_refresh_all())
    with bench.env(anchor_db) as env:
        for _index in range(repeat):
            _reset(env)
            anchor.extend(bench.timed(lambda: env.cr.execute(BARE)))
            env.cr.commit()
    bench.result("intelligence_refresh", ours, anchor, leads=leads, queries=queries)
