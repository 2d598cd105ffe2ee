"""Bench case: one rule-based assignment run, lead_tracking's engine against crm's own."""

import time

TITLE = "Rule-based assignment: action_assign_leads(work_days=30), 5 teams / 30 members"


def _snapshot(env):
    """Per member: assigned this run and capacity; plus leads still waiting while their team had quota."""
    env.cr.execute(
        """SELECT m.id, m.assignment_max, COUNT(l.id)
             FROM crm_team_member m
        LEFT JOIN crm_lead l ON l.user_id = m.user_id AND l.team_id = m.crm_team_id
                             AND l.date_open >= now() - interval '1 hour'
            WHERE m.active AND NOT m.assignment_optout AND m.assignment_max > 0
         GROUP BY m.id, m.assignment_max"""
    )
    return env.cr.fetchall()


def _fairness(rows):
    """Largest deviation of a member from its capacity-weighted share of what was assigned."""
    total = sum(count for _id, _cap, count in rows)
    capacity = sum(cap for _id, cap, _count in rows) or 1
    return max((abs(count - total * cap / capacity) for _id, cap, count in rows), default=0.0), total


def _left_with_quota(env, rows):
    """Leads still without salesperson while some member of a team had quota left (our engine's guarantee)."""
    open_members = {member_id for member_id, cap, count in rows if count < cap}
    if not open_members:
        return 0
    env.cr.execute(
        """SELECT COUNT(*) FROM crm_lead l JOIN crm_team_member m ON m.crm_team_id = l.team_id
            WHERE l.active AND l.user_id IS NULL AND m.id = ANY(%s) AND m.assignment_domain IS NULL""",
        [list(open_members)],
    )
    return env.cr.fetchone()[0]


def _one_run(bench, lead_tracking):
    dbname = bench.assignment_database(lead_tracking=lead_tracking)
    with bench.env(dbname) as env:
        teams = env["crm.team"].search([("assignment_optout", "=", False)])
        seconds = []

        def call():
            return teams._action_assign_leads(work_days=30)

        start = time.perf_counter()
        _result, queries = bench.queries(call)
        seconds.append(time.perf_counter() - start)
        env.flush_all()
        rows = _snapshot(env)
        deviation, assigned = _fairness(rows)
        left = _left_with_quota(env, rows)
    return seconds, queries, deviation, assigned, left


def _queries_at_sizes(bench):
    """Our engine's query count on the generic databases at two sizes: it must not grow with leads."""
    sizes = (500, 2000) if bench.quick else (2000, 20000)
    counts = {}
    for size in sizes:
        dbname = bench.database(size, lead_tracking=True)
        with bench.env(dbname) as env:
            env.cr.execute("UPDATE crm_lead SET user_id = NULL, date_open = NULL, team_id = NULL WHERE active")
            env.invalidate_all()
            teams = env["crm.team"].search([("assignment_optout", "=", False)])
            _result, queries = bench.queries(lambda teams=teams: teams._action_assign_leads(work_days=30))
            counts[f"our_queries_{size}_leads"] = queries
    return counts


def run(bench):
    ours, our_queries, deviation, assigned, left = _one_run(bench, True)
    anchor, anchor_queries, anchor_dev, anchor_assigned, anchor_left = _one_run(bench, False)
    bench.result(
        "assignment: action_assign_leads(work_days=30)",
        ours,
        anchor,
        our_queries=our_queries,
        anchor_queries=anchor_queries,
        assigned=assigned,
        anchor_assigned=anchor_assigned,
        max_deviation=round(deviation, 2),
        anchor_max_deviation=round(anchor_dev, 2),
        unassigned_with_quota_left=left,
        anchor_unassigned_with_quota_left=anchor_left,
        **_queries_at_sizes(bench),
    )
