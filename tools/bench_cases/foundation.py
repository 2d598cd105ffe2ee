"""The anchors every other case compares to: the SQL floor and Odoo's own rule-based assignment."""

TITLE = "floor: GROUP BY user_id over crm_lead; Odoo's native rule-based assignment"

FLOOR_SQL = "SELECT user_id, COUNT(*) FROM crm_lead GROUP BY user_id"


def run(bench):
    """(a) the floor, (b) crm's _action_assign_leads on the crm-only assignment scenario."""
    floor(bench)
    native_assignment(bench)


def floor(bench):
    """Odoo's read_group by salesperson (ours) against the bare SQL floor (anchor), on copies of one database."""
    leads = 20_000 if bench.quick else 1_000_000
    ours_db = bench.database(leads, leads, lead_tracking=False)
    anchor_db = bench.database(leads, leads, lead_tracking=False)
    repeat = 7

    with bench.env(anchor_db) as env:
        env.cr.execute(FLOOR_SQL)
        groups = len(env.cr.fetchall())
        anchor = bench.timed(lambda: env.cr.execute(FLOOR_SQL) or env.cr.fetchall(), repeat=repeat, warmup=1)

    with bench.env(ours_db) as env:
        leads_model = env["crm.lead"].with_context(active_test=False)

        def read_group():
            leads_model.invalidate_model()
            return leads_model.read_group([], ["user_id"], ["user_id"], lazy=False)

        ours = bench.timed(read_group, repeat=repeat, warmup=1)
        _result, queries = bench.queries(read_group)
    bench.result("floor: GROUP BY user_id", ours, anchor, leads=leads, groups=groups, orm_queries=queries)


def native_assignment(bench):
    """crm.team._action_assign_leads(work_days=30) on the crm-only assignment scenario, run once."""
    dbname = bench.assignment_database(lead_tracking=False)
    with bench.env(dbname) as env:
        teams = env["crm.team"].search([("assignment_optout", "=", False)])
        env.cr.execute("SELECT COUNT(*) FROM crm_lead WHERE user_id IS NULL AND team_id IS NULL AND active")
        to_assign = env.cr.fetchone()[0]
        holder = {}

        def assign():
            holder["result"], holder["queries"] = bench.queries(lambda: teams._action_assign_leads(work_days=30))

        seconds = bench.timed(assign)
        env.flush_all()
        env.cr.execute(
            """SELECT m.user_id, m.crm_team_id, m.assignment_max,
                      (SELECT COUNT(*) FROM crm_lead l WHERE l.user_id = m.user_id AND l.team_id = m.crm_team_id)
                 FROM crm_team_member m
                WHERE m.crm_team_id IN %s AND m.active
                ORDER BY m.crm_team_id, m.user_id""",
            (tuple(teams.ids),),
        )
        members = env.cr.fetchall()
        env.cr.execute("SELECT COUNT(*) FROM crm_lead WHERE user_id IS NOT NULL")
        assigned = env.cr.fetchone()[0]
        env.cr.execute("SELECT COUNT(*) FROM crm_lead WHERE team_id IS NOT NULL")
        in_team = env.cr.fetchone()[0]
    capacity = sum(m[2] for m in members) or 1
    per_member = [
        {"user_id": u, "team_id": t, "capacity": cap, "assigned": n, "share": round(assigned * cap / capacity, 1)}
        for u, t, cap, n in members
    ]
    deviations = [abs(m["assigned"] - m["share"]) / m["share"] for m in per_member if m["share"]]
    bench.result(
        "native assignment (crm)",
        seconds,
        seconds,
        leads=to_assign,
        teams=len(teams),
        members=len(members),
        capacity=capacity,
        assigned=assigned,
        in_team=in_team,
        unassigned=to_assign - assigned,
        queries=holder.get("queries"),
        max_dev_pct=round(100 * max(deviations), 1) if deviations else None,
        mean_dev_pct=round(100 * sum(deviations) / len(deviations), 1) if deviations else None,
        per_member=per_member,
    )
