"""Bench case: the scoring variable advisor (Settings > Which variables help?).

Ours: ``crm.lead.get_pls_variable_advice()`` over every closed lead (1,000,000 leads; quick: 100,000).
Anchor: crm's own rebuild of its frequency table (``_rebuild_pls_frequency_table``, what
Update Probabilities does first) learning the same seven optional variables from the same leads.
Both on one copy of a generated database, scoring start date before every lead, in the same run.
Target: at most 30 s at 1,000,000 leads, and within 3x of the anchor.
"""

TITLE = "Scoring variable advisor vs crm's frequency-table rebuild over the same closed leads"

ALL_VARIABLES = "state_id,country_id,phone_state,email_state,source_id,lang_id,tag_ids"


def run(bench):
    """Time the advice and crm's rebuild alternately, three times each after a warm-up."""
    leads = 100_000 if bench.quick else 1_000_000
    dbname = bench.database(leads)
    with bench.env(dbname) as env:
        params = env["ir.config_parameter"].sudo()
        params.set_param("crm.pls_start_date", "2000-01-01")
        params.set_param("crm.pls_fields", ALL_VARIABLES)
        env.cr.commit()
        Lead = env["crm.lead"]
        ours, anchor = [], []
        advice = None

        def advise():
            nonlocal advice
            advice = Lead.get_pls_variable_advice()

        def rebuild():
            Lead._rebuild_pls_frequency_table()
            env.cr.commit()

        advise()  # warm-up: caches and the first plan
        for _index in range(3):
            ours.extend(bench.timed(advise))
            env.invalidate_all()
            anchor.extend(bench.timed(rebuild))
            env.invalidate_all()
        _result, queries = bench.queries(advise)
        env.cr.execute("""SELECT COUNT(*) FROM crm_lead
                           WHERE probability = 100 OR (probability = 0 AND NOT active)""")
        closed = env.cr.fetchone()[0]
    bench.result(
        "scoring_advice", ours, anchor, leads=leads, closed_leads=closed, queries=queries,
        test_leads=advice[0]["test_leads"],
        recommended=",".join(row["variable"] for row in advice if row["recommended"]) or "none",
        log_loss=",".join(f"{row['variable']}:{row['log_loss_with']:.4f}/{row['log_loss_without']:.4f}"
                          for row in advice),
    )
