# crm.team is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
"""One assignment at a time, on a server with several workers.

Two runs planning at once would each count the other's leads as free room (quotas and carries
read before the other commits), and the second to write its carries would fail with a
serialization error. So every run that writes (scheduled, button, new leads at once, escalation)
first takes one transaction-level advisory lock.

A run that gets the lock after another run committed may still read the database as it was
before that commit: Odoo's transactions are REPEATABLE READ, and the snapshot was taken at the
transaction's first query, before the lock. Each run therefore leaves its transaction id in a
sequence (sequences are not transactional: the next run reads it whatever its snapshot) and the
next run checks whether that transaction committed after its own snapshot was taken. A run in
that case starts again on a fresh snapshot: a request is retried by Odoo (a serialization failure
is what Odoo retries), the scheduled run retries itself, new leads read their salespeople's load
through a cursor of their own.
"""

import logging
import random
import time

import psycopg2

from odoo import api, models
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Advisory lock key of assignment runs: the first four bytes of "ltas".
LT_ASSIGN_LOCK_KEY = 0x6C746173
LT_ASSIGN_HOLDER_SEQUENCE = "lead_tracking_assign_holder"
# How long a run waits for the one in progress before giving up (seconds): new leads and the
# button wait a little (an instant run takes milliseconds), the scheduled run longer.
LT_ASSIGN_WAIT = {"instant": 5.0, "button": 10.0, "cron": 60.0}
LT_ASSIGN_TRIES = 5  # the scheduled run's tries on a stale snapshot or a concurrent write


class LtAssignBusy(Exception):
    """Another assignment run kept the lock for longer than this run would wait."""


class CrmTeam(models.Model):
    _inherit = "crm.team"

    def init(self):
        result = super().init()
        self.env.cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(LT_ASSIGN_HOLDER_SEQUENCE)))
        return result

    @api.model
    def _lt_assign_lock(self, wait):
        """Take the assignment lock, waiting at most ``wait`` seconds (raises ``LtAssignBusy``).

        :return: True when the snapshot of this transaction is older than the last run's commit,
            i.e. this transaction cannot see what that run wrote."""
        deadline = time.monotonic() + wait
        delay = 0.02
        while True:
            self.env.cr.execute(self._lt_assign_lock_query())
            acquired, stale, _holder = self.env.cr.fetchone()
            if acquired:
                return bool(stale)
            if time.monotonic() >= deadline:
                raise LtAssignBusy()
            time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, 0.5)

    @api.model
    def _lt_assign_lock_query(self):
        """Try the lock; if taken, whether the last holder committed after this snapshot, and leave
        this transaction's id for the next holder (one statement: the previous holder is read before
        it is replaced). A holder id from another cluster (a restored dump) is ignored."""
        sequence = SQL.identifier(LT_ASSIGN_HOLDER_SEQUENCE)
        return SQL(
            """WITH got AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(%(key)s) AS ok),
                    previous AS MATERIALIZED (
                        SELECT last_value::text::xid8 AS holder FROM %(sequence)s
                         WHERE is_called AND (SELECT ok FROM got)
                           AND last_value::text::xid8 < pg_current_xact_id())
               SELECT got.ok,
                      COALESCE(pg_xact_status(previous.holder) = 'committed'
                               AND NOT pg_visible_in_snapshot(previous.holder, pg_current_snapshot()), FALSE),
                      CASE WHEN got.ok THEN setval(%(name)s, pg_current_xact_id()::text::bigint) END
                 FROM got LEFT JOIN previous ON TRUE""",
            key=LT_ASSIGN_LOCK_KEY, sequence=sequence, name=LT_ASSIGN_HOLDER_SEQUENCE,
        )

    @api.model
    def _lt_assign_restart(self):
        """Make this transaction start again on a fresh snapshot: raise the serialization failure
        Odoo retries a request on (and the scheduled run retries itself on)."""
        self.env.cr.execute(SQL(
            """DO $$ BEGIN RAISE EXCEPTION 'lead assignment: another run committed after this transaction began'
                   USING ERRCODE = 'serialization_failure'; END $$"""
        ), log_exceptions=False)  # expected, and retried: not a "bad query" in the log

    @api.model
    def _lt_assign_retrying(self, function):
        """Call ``function()`` in this (scheduled job's) transaction, and again in a fresh one when a
        concurrent run or write made it fail with a serialization failure or a deadlock, as Odoo
        retries a request. Returns its result; raises the last failure after ``LT_ASSIGN_TRIES``."""
        for attempt in range(1, LT_ASSIGN_TRIES + 1):
            try:
                result = function()
                self.env.flush_all()
                return result
            except psycopg2.OperationalError as error:
                if error.pgcode not in PG_CONCURRENCY_ERRORS_TO_RETRY or attempt == LT_ASSIGN_TRIES:
                    raise
                self.env.cr.rollback()
                self.env.reset()
                self.env.registry.reset_changes()
                wait = random.uniform(0.1, 2 ** attempt / 4)
                _logger.info("Lead assignment: %s, trying again in %.1f s (%s of %s)",
                             error.pgcode, wait, attempt, LT_ASSIGN_TRIES)
                time.sleep(wait)
        return None
