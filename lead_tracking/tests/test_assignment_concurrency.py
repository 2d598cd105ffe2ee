"""Assignment runs at once, as on a server with several workers: real cursors, each its own
transaction, committed as Odoo commits them; every test removes what it committed."""

import contextlib
import functools
import threading
import time
from unittest.mock import patch

import psycopg2

from odoo import api
from odoo.addons.lead_tracking.models.crm_team_assignment_lock import LT_ASSIGN_WAIT
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged


class LtCommittedCase(TransactionCase):
    """A team of two committed (demo) users whose domain takes only this test's leads."""

    def setUp(self):
        super().setUp()
        self.registry_ = self.env.registry
        self.admin_id = self.env.ref("base.user_admin").id  # a manager, as whoever presses the button
        with self.committed() as env:
            # committed demo users: creating users here would wait on the test transaction's locks
            users = env["res.users"].search([("share", "=", False), ("active", "=", True)], order="id", limit=2)
            team = env["crm.team"].create({
                "name": "LT Concurrency", "use_leads": True,
                "crm_team_member_ids": [(0, 0, {"user_id": user.id, "assignment_max": 100}) for user in users],
            })
            team.assignment_domain = f"[('name', '=like', 'LT conc {team.id}%')]"
            self.team_id, self.user_ids = team.id, users.ids
            self.member_ids = team.crm_team_member_ids.sorted(lambda m: m.user_id.id).ids
        self.lead_ids = []
        self.addCleanup(self.remove_committed)

    def committed(self):
        """A cursor of its own, committed at the end (as a worker's request is)."""
        registry, admin = self.registry_, self.admin_id

        class Committed:
            def __enter__(inner):
                inner.cr = registry.cursor()
                return api.Environment(inner.cr, admin, {})

            def __exit__(inner, kind, value, traceback):
                if kind is None:
                    inner.cr.commit()  # pylint: disable=invalid-commit
                inner.cr.close()

        return Committed()

    def new_leads(self, env, count, tag="", team=False):
        leads = env["crm.lead"].create([
            {"name": f"LT conc {self.team_id}{tag} {index}", "user_id": False, "team_id": team,
             "email_from": f"conc{tag}{index}.{self.team_id}@example.com"}
            for index in range(count)
        ])
        self.lead_ids += leads.ids
        return leads

    def remove_committed(self):
        with self.committed() as env:
            env["crm.lead"].with_context(active_test=False).browse(self.lead_ids).exists().unlink()
            env["crm.lead.assignment.run"].search([("team_ids", "in", self.team_id)]).unlink()
            env["crm.team"].browse(self.team_id).unlink()

    def assigned_counts(self):
        """{lead id: how many salespeople of the team hold it} read from a fresh cursor, and its runs."""
        with self.committed() as env:
            env.cr.execute("SELECT id, user_id FROM crm_lead WHERE id = ANY(%s)", [self.lead_ids])
            rows = dict(env.cr.fetchall())
            runs = env["crm.lead.assignment.run"].search([("team_ids", "in", self.team_id)])
            return rows, [(run.trigger, run.state, run.assigned) for run in runs.sorted("id")]



@tagged("post_install", "-at_install")
class TestAssignmentConcurrency(LtCommittedCase):
    def test_second_run_finds_the_first_in_progress(self):
        """While a run holds the lock, a second run (button or scheduled) finishes at once with nothing
        done and says so; neither fails, no lead is assigned twice, and a run after both finds nothing."""
        with self.committed() as env:
            self.new_leads(env, 40)
        holding, release, results = threading.Event(), threading.Event(), {}

        def first():
            with self.committed() as env:
                team = env["crm.team"].browse(self.team_id).with_context(lt_assign_trigger="button")
                results["first"] = team._lt_assign_run(work_days=30)
                holding.set()
                release.wait(60)

        thread = threading.Thread(target=first)
        thread.start()
        try:
            self.assertTrue(holding.wait(60), "the first run did not start")
            with patch.dict(LT_ASSIGN_WAIT, {"button": 0.2, "cron": 0.2}), self.committed() as env:
                action = env["crm.team"].browse(self.team_id).action_assign_leads(work_days=30)
                env.cr.rollback()  # the scheduled job below also serves every demo team: keep none of it
                env["crm.team"]._cron_assign_leads(work_days=30)
                env.cr.rollback()
            self.assertTrue(thread.is_alive(), "the second run waited for the first one to commit")
            self.assertEqual(action["params"]["type"], "warning")
            self.assertIn("Another assignment run is in progress", " ".join(action["params"]["lines"]))
        finally:
            release.set()
            thread.join(60)
        self.assertFalse(thread.is_alive(), "the first run finished once released")
        self.assertEqual(results["first"]["assigned"], 40)
        with self.committed() as env:
            again = env["crm.team"].browse(self.team_id).with_context(lt_assign_trigger="button")._lt_assign_run(
                work_days=30)
        self.assertEqual(again["assigned"], 0)
        users, runs = self.assigned_counts()
        self.assertEqual(sorted(users), sorted(self.lead_ids))
        self.assertFalse([lead for lead, user in users.items() if user not in self.user_ids])
        # the first run and the one after it are kept; the busy ones did nothing and left no record
        self.assertEqual(runs, [("button", "done", 40), ("button", "done", 0)])

    def test_run_on_a_snapshot_older_than_the_last_run_starts_again(self):
        """A transaction that began before another run committed cannot see that run's leads and
        counts. The button's run asks Odoo to retry the request (the serialization failure Odoo
        retries on); the scheduled run retries itself; either then assigns only what is left."""
        with self.committed() as env:
            self.new_leads(env, 20)
        with self.committed() as stale:
            stale["crm.team"].browse(self.team_id).name  # noqa: B018 - the snapshot is taken here
            with self.committed() as env:
                env["crm.team"].browse(self.team_id)._lt_assign_run(work_days=30)
                self.new_leads(env, 10, tag="b")
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                stale["crm.team"].browse(self.team_id).action_assign_leads(work_days=30)
            stale.cr.rollback()
        # the same through Odoo's retry of a request: the second try sees everything
        with self.committed() as stale:
            stale["crm.team"].browse(self.team_id).name  # noqa: B018
            with self.committed() as env:
                env["crm.team"].browse(self.team_id)._lt_assign_run(work_days=30)  # the 10 left
                self.new_leads(env, 5, tag="d")
            team = stale["crm.team"].browse(self.team_id)
            action = retrying(functools.partial(team.action_assign_leads, work_days=30), stale)
            self.assertIn("5 leads assigned", action["params"]["lines"][0])
        users, runs = self.assigned_counts()
        self.assertFalse([lead for lead, user in users.items() if user not in self.user_ids])
        self.assertEqual([assigned for _trigger, state, assigned in runs if state == "done"], [20, 10, 5])

    def test_scheduled_run_retries_on_a_stale_snapshot(self):
        with self.committed() as env:
            self.new_leads(env, 12)
        with self.committed() as stale:
            stale["crm.team"].browse(self.team_id).name  # noqa: B018
            with self.committed() as env:
                env["crm.team"].browse(self.team_id)._lt_assign_run(work_days=30)
                self.new_leads(env, 6, tag="c", team=self.team_id)  # the demo's teams would take some
            stale["crm.team"]._cron_assign_leads(work_days=30)  # would raise without its retry
            stale.cr.execute("SELECT COUNT(*) FROM crm_lead WHERE id = ANY(%s) AND user_id = ANY(%s)",
                             [self.lead_ids, self.user_ids])
            self.assertEqual(stale.cr.fetchone()[0], 18)
            stale.cr.rollback()  # the scheduled job also served the demo teams: keep none of it

    def test_new_lead_on_a_stale_snapshot_reads_the_load_committed_since(self):
        """A lead created at once in a transaction older than another run's commit cannot start again
        (it is being created): the salespeople's 30-day load is read as committed now, so the lead
        goes to the salesperson who is really the least busy."""
        first, second = self.user_ids
        with self.committed() as env:
            previous = env["ir.config_parameter"].get_param("lead_tracking.assign_on_create", False)
        self.addCleanup(self.reset_param, previous)
        with self.committed() as env:
            env["ir.config_parameter"].set_param("lead_tracking.assign_on_create", True)
            busy_first = self.new_leads(env, 3, tag="f")
            busy_first.write({"user_id": first, "team_id": self.team_id})
        with self.committed() as stale:
            stale["crm.team"].browse(self.team_id).name  # noqa: B018
            with self.committed() as env:
                # the second salesperson gets 8 leads; a run takes the lock and commits
                busy_second = self.new_leads(env, 8, tag="s")
                busy_second.write({"user_id": second, "team_id": self.team_id})
                env["crm.team"].browse(self.team_id)._lt_assign_run(work_days=30)
            # in the stale snapshot the second salesperson has none: it would get the lead
            lead = self.new_leads(stale, 1, tag="n", team=self.team_id)
            self.assertEqual(lead.user_id.id, first)

    def reset_param(self, previous):
        """Put back the value the setting had before the test committed its own."""
        with self.committed() as env:
            env["ir.config_parameter"].set_param("lead_tracking.assign_on_create", previous)


@tagged("post_install", "-at_install")
class TestInterruptedWorker(LtCommittedCase):
    """A worker killed in the middle of an assignment run or of a refresh: its connection dies with
    the transaction open, which PostgreSQL rolls back (``pg_terminate_backend`` does to the
    connection what SIGKILL does to the worker; ``make soak`` kills real workers). Each run is held
    at a table lock, after its writes, until it is killed."""

    def kill_while_blocked(self, lock_sql, work):
        """Run ``work(env)`` in a transaction of its own, held by ``lock_sql`` (taken first by another
        transaction) once it has written, then kill its connection; returns when it is gone."""
        blocker = self.registry_.cursor()
        blocker.execute(lock_sql)
        started, backend = threading.Event(), {}

        def worker():
            cr = self.registry_.cursor()
            try:
                cr.execute("SELECT pg_backend_pid()")
                backend["pid"] = cr.fetchone()[0]
                started.set()
                work(api.Environment(cr, self.admin_id, {}))
            except psycopg2.Error:
                backend["killed"] = True
            finally:
                with contextlib.suppress(psycopg2.Error):
                    cr.close()

        thread = threading.Thread(target=worker)
        thread.start()
        try:
            self.assertTrue(started.wait(60))
            blocked = False
            for _poll in range(600):
                with self.committed() as env:
                    env.cr.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [backend["pid"]])
                    blocked = env.cr.fetchone()[0] == "Lock"
                if blocked:
                    break
                time.sleep(0.1)
            self.assertTrue(blocked, "the work never reached the lock")
            with self.committed() as env:
                env.cr.execute("SELECT pg_terminate_backend(%s)", [backend["pid"]])
        finally:
            blocker.rollback()
            blocker.close()
            thread.join(60)
        self.assertTrue(backend.get("killed"), "the work was not interrupted")

    def summary_mismatches(self):
        with self.committed() as env:
            return {s.table: s.mismatches(env.cr) for s in env["lt.lead.report.mixin"]._lt_report_summaries()}

    def test_killed_run_leaves_every_lead_untouched(self):
        with self.committed() as env:
            self.new_leads(env, 30)

        def run(env):
            env["crm.team"].browse(self.team_id).with_context(lt_assign_trigger="button")._lt_assign_run(work_days=30)

        # the run record is written after every lead: a run waiting to write it has written them all
        self.kill_while_blocked("LOCK TABLE crm_lead_assignment_run IN SHARE ROW EXCLUSIVE MODE", run)
        with self.committed() as env:
            env.cr.execute("""SELECT count(*) FILTER (WHERE user_id IS NOT NULL OR assignment_reason IS NOT NULL),
                                     (SELECT count(*) FROM mail_message m JOIN mail_tracking_value v
                                          ON v.mail_message_id = m.id
                                       WHERE m.model = 'crm.lead' AND m.res_id = ANY(%s))
                                FROM crm_lead WHERE id = ANY(%s)""", [self.lead_ids, self.lead_ids])
            self.assertEqual(env.cr.fetchone(), (0, 0), "a killed run left leads assigned or their notes")
        # the next run is not misled by the killed one (its transaction id is still the last holder)
        # and assigns every lead fully
        with self.committed() as env:
            summary = env["crm.team"].browse(self.team_id).with_context(lt_assign_trigger="button")._lt_assign_run(
                work_days=30)
        self.assertEqual(summary["assigned"], 30)
        with self.committed() as env:
            env.cr.execute("""SELECT count(*) FROM crm_lead l WHERE l.id = ANY(%s) AND l.user_id = ANY(%s)
                                 AND l.team_id = %s AND l.assignment_reason IS NOT NULL AND EXISTS (
                                     SELECT 1 FROM mail_message m JOIN mail_tracking_value v ON v.mail_message_id = m.id
                                      WHERE m.model = 'crm.lead' AND m.res_id = l.id)""",
                           [self.lead_ids, self.user_ids, self.team_id])
            self.assertEqual(env.cr.fetchone()[0], 30)
        _users, runs = self.assigned_counts()
        self.assertEqual(runs, [("button", "done", 30)])

    def test_killed_refresh_keeps_the_summaries(self):
        with self.committed() as env:
            lead = self.new_leads(env, 1, team=self.team_id)
            tier = lead.score_tier
            env.flush_all()
            # a change the daily refresh exists for: written around the ORM, the tier is now stale
            fresh, probability = ("cold", 0) if tier == "hot" else ("hot", 100)
            env.cr.execute("UPDATE crm_lead SET probability = %s, automated_probability = %s WHERE id = %s",
                           [probability, probability, lead.id])
            summaries = [s.table for s in env["lt.lead.report.mixin"]._lt_report_summaries()]
        self.assertEqual(self.summary_mismatches(), dict.fromkeys(summaries, 0))
        # held at the last summary's recount: the leads are refreshed, the other summaries recounted
        self.kill_while_blocked(f"LOCK TABLE {summaries[-1]} IN ACCESS EXCLUSIVE MODE",
                                lambda env: env["crm.lead"]._cron_lt_refresh())
        self.assertEqual(self.summary_mismatches(), dict.fromkeys(summaries, 0))
        with self.committed() as env:
            self.assertEqual(env["crm.lead"].browse(lead.id).score_tier, tier, "the killed refresh left a write")
            env["crm.lead"]._cron_lt_refresh()  # the next daily run
        with self.committed() as env:
            self.assertEqual(env["crm.lead"].browse(lead.id).score_tier, fresh)
        self.assertEqual(self.summary_mismatches(), dict.fromkeys(summaries, 0))
