"""The plan step of rule-based assignment: which salesperson (and team) gets which lead.

Pure Python over small typed records, no ORM and no SQL, so that it can be read, tested and
reasoned about on its own (``crm.team._lt_assign_run`` gathers its input and writes its output).

Input: the run's member slots (capacity, quota for this run, quality leads of the last 30 days),
its teams, and the candidate groups hottest first (leads that go to one salesperson together,
each with the teams and members whose domains let it in). Output: a :class:`Plan` with one
:class:`Decision` per lead, saying where it goes and why.

Rules, in order:

1. each group goes, hottest first (those that preferred domains claim before the others), to the
   eligible member with quota left that stays furthest below
   its capacity-weighted share; a group that no eligible member can take whole is split into its
   leads (no member ever goes past its quota);
2. single leads then move along chains of eligible members until no member is more than one lead
   away from its capacity-weighted share of the run, as far as domains and quotas allow, and quota
   freed by those moves goes to leads still waiting;
3. the leads a member receives are then picked hottest first; among members that may take
   interchangeable leads, a quality lead goes to the one with the lowest share of quality leads
   (30 days and this run, relative to capacity) when its team balances quality;
4. leads no salesperson can take go to the candidate team with the lowest allocation relative to its
   capacity (team only), with the reason they stay without a salesperson.

A lead that members' preferred domains claim goes first to those members (the one furthest below
its share), and moves only among them; members in rotation without a cap (``unlimited``) are served
after the others, from what is left, in proportion to their weight (their ``capacity``).

The same input always gives the same plan (ties are broken by id).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Why a lead stays without a salesperson, in the order summaries list them.
NO_TEAM = "no_team"
OPTOUT = "optout"
NO_MEMBER_DOMAIN = "no_member_domain"
CAPACITY = "capacity"
UNASSIGNED_REASONS = (NO_TEAM, OPTOUT, NO_MEMBER_DOMAIN, CAPACITY)
# Why a lead went to its salesperson.
QUALITY_SHARE = "quality_share"
QUOTA_LEFT = "quota_left"
SAME_GROUP = "same_group"
PREFERRED = "preferred"

UNLIMITED = 10**9  # room of a member in rotation without a cap

_EPSILON = 1e-9


@dataclass
class MemberSlot:
    """One salesperson of one team in this run (a ``crm.team.member``)."""

    member_id: int
    team_id: int
    user_id: int
    capacity: int  # leads per 30 days (crm's assignment_max), > 0
    quota: int  # leads this run may give it, >= 0
    quality30: int = 0  # quality leads received over the last 30 days
    balancing: bool = True  # its team shares quality leads by quality share
    assigned: int = 0  # leads planned so far
    quality_assigned: int = 0  # quality leads planned so far
    base: int = 0  # leads that count as already received when sharing (0: share this run only)
    unlimited: bool = False  # in rotation without a cap: served after the others, ``capacity`` is its weight

    @property
    def room(self):
        return UNLIMITED if self.unlimited else self.quota - self.assigned

    def reset(self):
        """Forget what a plan gave (to plan again on the same slots)."""
        self.assigned = self.quality_assigned = 0


@dataclass
class TeamSlot:
    """One sales team of the run."""

    team_id: int
    capacity: int  # sum of its members' capacities (crm's team assignment_max)
    member_ids: tuple = ()  # members taking part in the run (opted in, active, capacity > 0)
    allocated: int = 0  # leads planned for the team without a salesperson

    def reset(self):
        """Forget what a plan gave (to plan again on the same slots)."""
        self.allocated = 0


@dataclass(frozen=True)
class CandidateGroup:
    """Leads that go to one salesperson together (the same customer), hottest first.

    ``teams`` are the teams that may take them (the lead's own team, or every team whose domain
    matches); ``members`` the members of those teams whose domain matches and who have quota;
    ``matched_teams`` the teams where some member's domain matches at all (quota or not), which
    tells "no member domain matches" from "every member at capacity". ``fixed_team`` is the team the
    leads already belong to (0: team-less). ``open`` is False for leads a salesperson already
    opened once: crm only gives those a team.
    """

    lead_ids: tuple
    quality: tuple
    teams: tuple
    members: frozenset = frozenset()
    matched_teams: frozenset = frozenset()
    fixed_team: int = 0
    open: bool = True
    preferred: frozenset = frozenset()  # members whose preferred domain claims these leads (among ``members``)

    @property
    def size(self):
        return len(self.lead_ids)


@dataclass
class Decision:
    """Where one lead goes and why. ``member_id`` 0: no salesperson; ``team_id`` 0: no team."""

    lead_id: int
    team_id: int
    member_id: int
    reason: str
    head_id: int = 0  # the group's first lead, for SAME_GROUP
    quality_share: int = 0  # QUALITY_SHARE: the member's quality leads before this one (30 days + run)
    done: int = 0  # QUOTA_LEFT: leads the member had received in this run before this one


@dataclass
class Plan:
    """The result: decisions hottest first, and the slots with what they received."""

    decisions: list
    members: dict
    teams: dict
    unassigned: dict = field(default_factory=lambda: dict.fromkeys(UNASSIGNED_REASONS, 0))

    def assigned(self, member_id):
        """Lead ids planned for a member."""
        return [d.lead_id for d in self.decisions if d.member_id == member_id]


@dataclass(eq=False)
class _Unit:
    """A group, or a lead of a group that had to be split, as the placement sees it."""

    group: CandidateGroup
    positions: tuple  # indexes into group.lead_ids
    member_id: int = 0  # where it is placed (0: not placed)
    size: int = field(init=False)  # read in every step of every unit: kept, not counted each time

    def __post_init__(self):
        self.size = len(self.positions)


def plan_assignment(members, teams, groups):
    """Plan a run. ``members``/``teams``: iterables of slots (their counters are filled);
    ``groups``: candidate groups, hottest first. Returns a :class:`Plan`."""
    return _Planner(members, teams, groups).run()


def largest_remainder(exact):
    """Round {key: fractional quota} to integers summing to the floor of the total (Hamilton)."""
    total = int(sum(exact.values()) + _EPSILON)
    result = {key: int(value + _EPSILON) for key, value in exact.items()}
    left = total - sum(result.values())
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - result[key]), key))
    for key in by_remainder[: max(0, left)]:
        result[key] += 1
    return result


class _Planner:
    def __init__(self, members, teams, groups):
        self.members = {slot.member_id: slot for slot in members}
        self.teams = {slot.team_id: slot for slot in teams}
        self.units = [_Unit(group, tuple(range(group.size))) for group in groups]
        self.pool = frozenset()

    def run(self):
        waiting = list(self.units)
        for unlimited in (False, True):  # members with a capacity first, then the rest by weight
            self.pool = frozenset(mid for mid, slot in self.members.items() if slot.unlimited == unlimited)
            if self.pool:
                waiting = self._serve(waiting)
        decisions = self._pick_leads()
        plan = Plan(decisions, self.members, self.teams)
        self._allocate_rest(plan)
        plan.decisions.sort(key=lambda d: self._order[d.lead_id])
        return plan

    def _serve(self, units):
        """Place, complete and balance the units over the members of the current pool; returns the
        units still waiting."""
        # leads that preferred domains claim are placed before the others (hottest first in each)
        units = sorted(units, key=lambda unit: not self._claimers(unit))
        waiting = self._augment(self._place_all(units))
        if self._rebalance() | self._reclaim():
            waiting = self._augment(self._place_all(waiting))
        return waiting

    def _reclaim(self):
        """Claimed leads that went to someone else while their claimers were full go back to a
        claimer that has room again (the moves of the fairness step can free it). Returns whether
        anything moved."""
        moved = False
        for unit in self.units:
            claimers = self._claimers(unit)
            if not unit.member_id or unit.member_id in claimers or unit.member_id not in self.pool:
                continue
            room = [mid for mid in claimers if self.members[mid].room >= unit.size]
            if room:
                target = min(room, key=lambda mid: self._share_key(mid, unit.size))
                self.members[unit.member_id].assigned -= unit.size
                self.members[target].assigned += unit.size
                unit.member_id = target
                moved = True
        return moved

    def _eligible(self, unit):
        return unit.group.members & self.pool

    def _claimers(self, unit):
        """Members of the pool whose preferred domain claims the unit."""
        return unit.group.preferred & self.pool

    def _moves(self, unit):
        """Members a placed unit may move to: its claimers when it sits with one of them."""
        claimers = self._claimers(unit)
        return claimers if unit.member_id in claimers else self._eligible(unit)

    # -- 1. placement --
    def _share_key(self, member_id, size):
        slot = self.members[member_id]
        return ((slot.base + slot.assigned + size) / slot.capacity, member_id)

    def _place(self, unit):
        size, members = unit.size, self.members
        for claimed, candidates in ((True, self._claimers(unit)), (False, self._eligible(unit))):
            best = min((self._share_key(mid, size) for mid in candidates if members[mid].room >= size), default=None)
            if best is not None:
                members[best[1]].assigned += size
                unit.member_id = best[1]
                return True
            if claimed and any(members[mid].room > 0 for mid in candidates):
                return False  # a claimer can take some of them: split rather than give them all away
        return False

    def _place_all(self, units):
        """Place units in order, splitting groups no member can take whole; return those left waiting."""
        waiting = []
        for unit in units:
            if unit.member_id or not unit.group.teams or self._place(unit):
                continue
            if unit.size > 1 and any(self.members[mid].room > 0 for mid in self._eligible(unit)):
                singles = self._split(unit)
                waiting.extend(self._place_all(singles))
            else:
                waiting.append(unit)
        return waiting

    def _split(self, unit):
        index = self.units.index(unit)
        singles = [_Unit(unit.group, (position,)) for position in unit.positions]
        self.units[index:index + 1] = singles
        return singles

    def _augment(self, waiting):
        """Give waiting leads a salesperson by moving placed leads along a chain of eligible members
        to one with quota left: each chain found assigns one more lead. Returns the units still
        waiting. (A member may hold the only leads another could take while the leads left wait for
        it alone: placing hottest first does not see that.)"""
        movable = self._movable()
        failed, still = set(), []
        for unit in waiting:
            eligible = self._eligible(unit)
            if unit.size != 1 or not eligible or eligible in failed:
                still.append(unit)
                continue
            start, path = self._augmenting_path(movable, eligible)
            if start is None:
                failed.add(eligible)  # nothing changed since: the same set would fail again
                still.append(unit)
                continue
            for frm, via, to in path:
                moved = movable[frm][via].pop()
                moved.member_id = to
                movable.setdefault(to, {}).setdefault(via, []).append(moved)
            self.members[path[-1][2]].assigned += 1
            unit.member_id = start
            moves = self._moves(unit)
            if len(moves) > 1:
                movable.setdefault(start, {}).setdefault(moves, []).append(unit)
            failed.clear()
        return still

    def _augmenting_path(self, movable, eligible):
        """(member that takes the waiting lead, moves [(from, eligible set, to)]) ending on a member
        with room, shortest first; (None, None) when there is none."""
        previous = dict.fromkeys(eligible)
        queue = sorted(eligible)
        for node in queue:  # the queue grows while it is read
            for via, units in sorted(movable.get(node, {}).items(), key=lambda item: sorted(item[0])):
                if not units:
                    continue
                for nxt in sorted(via):
                    if nxt in previous:
                        continue
                    previous[nxt] = (node, via)
                    if self.members[nxt].room > 0:
                        path, cursor = [], nxt
                        while previous[cursor]:
                            path.append((*previous[cursor], cursor))
                            cursor = previous[cursor][0]
                        return cursor, path[::-1]
                    queue.append(nxt)
        return None, None

    # -- 2. fairness --
    def _deviation(self, member_id, total, capacity):
        slot = self.members[member_id]
        return slot.base + slot.assigned - total * slot.capacity / capacity

    def _movable(self):
        """{member: {set it may move to: [single units placed there]}} of the pool's movable units."""
        movable = {}
        for unit in self.units:
            if unit.member_id in self.pool and unit.size == 1:
                moves = self._moves(unit)
                if len(moves) > 1:
                    movable.setdefault(unit.member_id, {}).setdefault(moves, []).append(unit)
        return movable

    def _rebalance(self):
        """Move single leads along chains of eligible members until every member is within one lead
        of its capacity-weighted share (as far as domains and quotas allow). Each move lowers the
        sum of squared deviations, so this ends. Returns whether anything moved."""
        slots = [self.members[mid] for mid in self.pool]
        total = sum(slot.base + slot.assigned for slot in slots)
        capacity = sum(slot.capacity for slot in slots)
        if not total or not capacity:
            return False
        movable = self._movable()
        moved = False
        while self._move_one_chain(movable, total, capacity):
            moved = True
        return moved

    def _move_one_chain(self, movable, total, capacity):
        def deviation(mid):
            return self._deviation(mid, total, capacity)

        for source in sorted(movable, key=lambda mid: (-deviation(mid), mid)):
            target, path = self._find_chain(movable, source, deviation)
            if target is None:
                continue
            count = max(1, int((deviation(source) - deviation(target)) / 2))
            along = [len(movable[frm][eligible]) for frm, eligible, _to in path]
            count = min([count, self.members[target].room, *along])
            for frm, eligible, to in path:
                for _i in range(count):
                    unit = movable[frm][eligible].pop()
                    unit.member_id = to
                    movable.setdefault(to, {}).setdefault(eligible, []).append(unit)
            self.members[source].assigned -= count
            self.members[target].assigned += count
            return True
        return False

    def _find_chain(self, movable, source, deviation):
        """Breadth-first from ``source`` over "a lead placed on A could go to B": the reachable member
        with room whose deviation is lowest, if more than one lead below the source's."""
        previous = {source: None}
        queue = [source]
        target, target_dev = None, deviation(source) - 1 - _EPSILON
        for node in queue:  # the queue grows while it is read
            for eligible, units in sorted(movable.get(node, {}).items(), key=lambda item: sorted(item[0])):
                if not units:
                    continue
                for nxt in sorted(eligible):
                    if nxt in previous:
                        continue
                    previous[nxt] = (node, eligible)
                    queue.append(nxt)
                    if self.members[nxt].room > 0 and deviation(nxt) < target_dev:
                        target, target_dev = nxt, deviation(nxt)
        if target is None:
            return None, []
        path, node = [], target
        while previous[node]:
            path.append((*previous[node], node))
            node = previous[node][0]
        return target, path

    # -- 3. which lead each member receives --
    def _pick_leads(self):
        self._order = {}
        # single leads of one kind (same eligible members, claimed by the same members or not) are
        # interchangeable: the placement fixes how many each member takes, the leads themselves are
        # picked hottest first
        todo = {}
        for unit in self.units:
            if unit.member_id and unit.size == 1:
                key = (self._kind(unit), unit.member_id)
                todo[key] = todo.get(key, 0) + 1
        done = dict.fromkeys(self.members, 0)
        decisions = []
        ordered = {}  # groups share their member sets: each sorted once
        for position, unit in enumerate(self.units):
            for lead_position in unit.positions:
                self._order[unit.group.lead_ids[lead_position]] = (position, lead_position)
            if not unit.member_id:
                continue
            kind = self._kind(unit)
            if unit.size == 1:
                members = unit.group.members
                if members not in ordered:
                    ordered[members] = sorted(members)
                choices = [mid for mid in ordered[members] if todo.get((kind, mid))]
            else:
                choices = [unit.member_id]
            decision = self._choose(unit, choices, done)
            if unit.size == 1:
                todo[(kind, decision.member_id)] -= 1
            decisions.extend(self._decide_unit(unit, decision, done))
        return decisions

    @staticmethod
    def _kind(unit):
        # leads that different members prefer are never interchangeable, not even where they were
        # placed with a member that does not prefer them (its claimers were served later)
        claimed = unit.member_id in unit.group.preferred
        return unit.group.members, unit.group.preferred, claimed

    def _choose(self, unit, choices, done):
        quality = any(unit.group.quality[position] for position in unit.positions)
        members = self.members
        if quality and any(members[mid].balancing for mid in choices):
            member_id = min(choices, key=lambda mid: (
                (members[mid].quality30 + members[mid].quality_assigned) / members[mid].capacity,
                done[mid] / (members[mid].assigned or 1),
                mid,
            ))
            slot = members[member_id]
            return Decision(0, slot.team_id, member_id, QUALITY_SHARE,
                            quality_share=slot.quality30 + slot.quality_assigned)
        member_id = min(
            choices, key=lambda mid: (done[mid] / (members[mid].assigned or 1), -members[mid].assigned, mid)
        )
        slot = members[member_id]
        reason = PREFERRED if member_id in unit.group.preferred else QUOTA_LEFT
        return Decision(0, slot.team_id, member_id, reason, done=done[member_id])

    def _decide_unit(self, unit, decision, done):
        slot = self.members[decision.member_id]
        head = unit.group.lead_ids[unit.positions[0]]
        decisions = []
        for index, position in enumerate(unit.positions):
            lead_id = unit.group.lead_ids[position]
            if index:
                decisions.append(Decision(lead_id, slot.team_id, slot.member_id, SAME_GROUP, head_id=head))
            else:
                decisions.append(Decision(lead_id, decision.team_id, decision.member_id, decision.reason,
                                          quality_share=decision.quality_share, done=decision.done))
            slot.quality_assigned += 1 if unit.group.quality[position] else 0
        done[slot.member_id] += unit.size
        return decisions

    # -- 4. team only --
    def _allocate_rest(self, plan):
        placed_groups = {}
        for unit in self.units:
            if unit.member_id:
                continue
            group = unit.group
            for position in unit.positions:
                lead_id = group.lead_ids[position]
                if not group.teams:
                    plan.unassigned[NO_TEAM] += 1
                    plan.decisions.append(Decision(lead_id, 0, 0, NO_TEAM))
                    continue
                team_id = placed_groups.get(id(group)) or self._least_allocated(group.teams)
                placed_groups[id(group)] = team_id
                reason = self._unassigned_reason(group, team_id)
                plan.unassigned[reason] += 1
                if not group.fixed_team:
                    self.teams[team_id].allocated += 1
                plan.decisions.append(Decision(lead_id, team_id, 0, reason))

    def _least_allocated(self, team_ids):
        return min(team_ids, key=lambda tid: ((self.teams[tid].allocated + 1) / (self.teams[tid].capacity or 1), tid))

    def _unassigned_reason(self, group, team_id):
        if not self.teams[team_id].member_ids:
            return OPTOUT
        if group.open and team_id not in group.matched_teams:
            return NO_MEMBER_DOMAIN
        return CAPACITY
