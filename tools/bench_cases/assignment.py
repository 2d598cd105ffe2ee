"""Bench case: one rule-based assignment run, lead_tracking's engine against crm's own."""

import time

TITLE = "Rule-based assignment: action_assign_leads(work_days=30), 5 teams / 30 members"

# Ours alone on a larger scenario: no crm anchor, whose side takes about 6 minutes at 20k already.
BIG_ASSIGNMENT = (100_000, 120_000)
QUICK_BIG_ASSIGNMENT = (10_000, 12_000)


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
        """SELECT COUNT(DISTINCT l.id) FROM crm_lead l JOIN crm_team_member m ON m.crm_team_id = l.team_id
            WHERE l.active AND l.user_id IS NULL AND m.id = ANY(%s) AND m.assignment_domain IS NULL""",
        [list(open_members)],
    )
    return env.cr.fetchone()[0]


def _lead_counts(env):
    """(crm_lead rows, active leads without salesperson, active leads without team)."""
    env.cr.execute(
        """SELECT COUNT(*),
                  COUNT(*) FILTER (WHERE active AND user_id IS NULL),
                  COUNT(*) FILTER (WHERE active AND team_id IS NULL)
             FROM crm_lead"""
    )
    return env.cr.fetchone()


def _marks(env):
    """Highest mail.message id and run count before a run: what the run wrote is counted above them."""
    env.cr.execute(
        """SELECT COALESCE(MAX(id), 0), to_regclass('crm_lead_assignment_run') IS NOT NULL FROM mail_message"""
    )
    message_id, has_runs = env.cr.fetchone()
    runs = None
    if has_runs:  # crm alone has no run history
        env.cr.execute("SELECT COUNT(*) FROM crm_lead_assignment_run")
        runs = env.cr.fetchone()[0]
    return message_id, runs


def _written(env, marks):
    """What a run left in the chatter and the run history, counted from ``marks`` (see ``_marks``)."""
    message_id, runs = marks
    env.cr.execute(
        """SELECT COUNT(*) FILTER (WHERE m.model = 'crm.lead'),
                  COUNT(*) FILTER (WHERE m.model = 'crm.lead'
                                     AND EXISTS (SELECT 1 FROM mail_tracking_value v WHERE v.mail_message_id = m.id)),
                  COUNT(*) FILTER (WHERE m.model = 'crm.team'
                                     AND EXISTS (SELECT 1 FROM mail_message_res_partner_rel p
                                                  WHERE p.mail_message_id = m.id))
             FROM mail_message m WHERE m.id > %s""",
        [message_id],
    )
    lead_messages, tracking_messages, digests = env.cr.fetchone()
    written = {"lead_messages": lead_messages, "tracking_messages": tracking_messages, "digests": digests}
    if runs is not None:
        env.cr.execute("SELECT COUNT(*) FROM crm_lead_assignment_run")
        written["run_records"] = env.cr.fetchone()[0] - runs
    return written


def _merge_counts(result):
    """Merges as crm's own return value tells them: ``(teams_data, members_data)``."""
    teams_data = list((result[0] if result else {}).values())
    return {
        "duplicates_merged": sum(len(data.get("duplicates", ())) for data in teams_data),
        "merged_into": sum(len(data.get("merged", ())) for data in teams_data),
        "team_assigned": sum(len(data.get("assigned", ())) + len(data.get("merged", ())) for data in teams_data),
    }


def _rotation_variant(env):
    """Issue 22's scenario on the same database: in every team one member prefers hot leads, one is
    in rotation without a limit, one out of rotation; the others as before."""
    teams = env["crm.team"].search([("assignment_optout", "=", False)])
    for team in teams:
        members = team.crm_team_member_ids.sorted("id")
        members[0].lt_assignment_domain_preferred = "[('probability', '>=', 50)]"
        members[1].write({"lt_rotation": "unlimited", "lt_rotation_weight": 10})
        members[2].lt_rotation = "out"
    env.flush_all()
    env.cr.commit()
    return {"preferred_members": len(teams), "unlimited_members": len(teams), "out_members": len(teams)}


def _one_run(bench, lead_tracking, size=None, configure=None):
    """One timed ``_action_assign_leads(work_days=30)`` on a fresh copy; ``(seconds, figures)``.
    ``configure(env)``, when given, changes the copy first (untimed) and returns figures of its own."""
    dbname = bench.assignment_database(lead_tracking=lead_tracking, size=size)
    with bench.env(dbname) as env:
        configured = configure(env) if configure else {}
        teams = env["crm.team"].search([("assignment_optout", "=", False)])
        rows_before, unassigned_before, _no_team_before = _lead_counts(env)
        marks = _marks(env)

        def call():
            return teams._action_assign_leads(work_days=30)

        bench.settle()
        start = time.perf_counter()
        result, queries = bench.queries(call)
        seconds = [time.perf_counter() - start]
        env.flush_all()
        rows = _snapshot(env)
        deviation, assigned = _fairness(rows)
        rows_after, unassigned_after, no_team_after = _lead_counts(env)
        figures = {
            "queries": queries,
            "assigned": assigned,
            "max_deviation": round(deviation, 2),
            "unassigned_with_quota_left": _left_with_quota(env, rows),
            "rows_before": rows_before,
            "rows_after": rows_after,
            "rows_removed": rows_before - rows_after,
            "unassigned_before": unassigned_before,
            "left_unassigned": unassigned_after,
            "left_without_team": no_team_after,
            **_merge_counts(result),
            **_written(env, marks),
            **configured,
        }
    return seconds, figures


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
    """Ours against crm on the default scenario, then ours alone on the big one."""
    ours, figures = _one_run(bench, True)
    anchor, anchor_figures = _one_run(bench, False)
    bench.result(
        "assignment: action_assign_leads(work_days=30)",
        ours,
        anchor,
        leads=figures["rows_before"],
        **figures,
        **{f"anchor_{key}": value for key, value in anchor_figures.items()},
        **_queries_at_sizes(bench),
    )
    # Issue 22: preferred domains and mixed rotation modes, against the same crm run (crm has
    # neither: its side would be the run above on the same database).
    variant, variant_figures = _one_run(bench, True, configure=_rotation_variant)
    bench.result(
        "assignment, preferred domains + mixed rotation (issue 22)",
        variant,
        anchor,
        leads=variant_figures["rows_before"],
        **variant_figures,
        anchor_queries=anchor_figures["queries"],
    )
    size = QUICK_BIG_ASSIGNMENT if bench.quick else BIG_ASSIGNMENT
    big, big_figures = _one_run(bench, True, size=size)
    bench.result(
        f"assignment {size[0] // 1000}k: ours only",
        big,
        None,
        leads=big_figures["rows_before"],
        capacity=size[1],
        **big_figures,
    )
