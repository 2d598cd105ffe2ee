"""Which of crm's optional scoring variables help: the maths, without ORM or SQL.

crm's predictive lead scoring is a naive Bayes over won and lost leads: a team's odds, times, for
each variable, how much more often the lead's value came with a win than with a loss. To know
whether a variable helps, the advisor learns that model from the leads closed in the earlier part
of the period and scores the leads closed in the recent part, with the variable and without it:
log-loss (how surprised the score is by what happened; lower is better), Brier score (mean squared
error of the probability; lower is better) and the area under the ROC curve (how often a won lead
scores above a lost one; higher is better).

The model is crm's: counts smoothed by 0.1 as crm stores them, a team's own counts when the team
has some (all teams' otherwise), tags only with at least 50 closed leads. The stage is left out:
a closed lead's last stage tells how it ended.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

SMOOTHING = 0.1  # crm adds this to every count it stores
TAG_MINIMUM = 50  # crm ignores a tag with fewer closed leads
ALL_TEAMS = -1
_CLIP = 1e-6


@dataclass
class Frequencies:
    """Won and lost counts learnt from closed leads: ``prior[team] = [won, lost]`` and
    ``values[team][variable][value] = [won, lost]``, team ``ALL_TEAMS`` holding every team's."""

    prior: dict = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))
    values: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(dict)))

    def add(self, team, variable, value, won, lost):
        """Count ``won``/``lost`` closed leads of ``team`` with ``value``. crm stores one smoothed
        count per team and sums the teams' for all teams, leaving out a team's tag below
        ``TAG_MINIMUM`` closed leads: so does this."""
        if variable == "tag_id" and won + lost + 2 * SMOOTHING < TAG_MINIMUM:
            return
        counts = self.values[team][variable].setdefault(value, [0.0, 0.0])
        counts[0] += won + SMOOTHING
        counts[1] += lost + SMOOTHING
        if team != ALL_TEAMS:
            counts = self.values[ALL_TEAMS][variable].setdefault(value, [0.0, 0.0])
            counts[0] += won + SMOOTHING
            counts[1] += lost + SMOOTHING

    def add_prior(self, team, won, lost):
        """Count the team's ``won``/``lost`` closed leads (its odds), smoothed as crm does."""
        for key in {team, ALL_TEAMS}:
            self.prior[key][0] += won + SMOOTHING
            self.prior[key][1] += lost + SMOOTHING

    def totals(self):
        """{team: {variable: (won total, lost total)}} over every value counted."""
        result = defaultdict(dict)
        for team, variables in self.values.items():
            for variable, counts in variables.items():
                result[team][variable] = (sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values()))
        return result


def logit(freq, totals, team, lead_values, variables):
    """Log-odds of winning under crm's naive Bayes for a lead: ``lead_values`` {variable: [values]}
    (several for tags), over ``variables``; None when the team's odds are unknown."""
    key = team if team in freq.prior and team != 0 else ALL_TEAMS
    won, lost = freq.prior.get(key, (0, 0))
    if not won or not lost:
        return None
    result = math.log(won / lost)
    for variable in variables:
        counts_by_value = freq.values[key].get(variable, {})
        total_won, total_lost = totals[key].get(variable, (0, 0))
        if not total_won or not total_lost:
            continue
        for value in lead_values.get(variable, ()):
            counts = counts_by_value.get(value)
            if not counts:
                continue
            result += math.log((counts[0] / total_won) / (counts[1] / total_lost))
    return result


def sigmoid(value):
    return 1 / (1 + math.exp(-max(min(value, 700), -700)))


def probability(freq, totals, team, lead_values, variables):
    """crm's naive Bayes probability (0-1) of a lead (see ``logit``); None when unknown."""
    value = logit(freq, totals, team, lead_values, variables)
    return None if value is None else sigmoid(value)


def log_loss(probabilities, outcomes):
    """Mean negative log-likelihood of the outcomes (1 won, 0 lost); lower is better."""
    total = 0.0
    for p, y in zip(probabilities, outcomes, strict=True):
        p = min(max(p, _CLIP), 1 - _CLIP)
        total -= math.log(p) if y else math.log(1 - p)
    return total / len(outcomes) if outcomes else 0.0


def brier(probabilities, outcomes):
    """Mean squared difference between probability and outcome; lower is better."""
    if not outcomes:
        return 0.0
    return sum((p - y) ** 2 for p, y in zip(probabilities, outcomes, strict=True)) / len(outcomes)


def auc(probabilities, outcomes):
    """Area under the ROC curve: the chance a won lead scores above a lost one (ties count half)."""
    pairs = sorted(zip(probabilities, outcomes, strict=True))
    positives = sum(outcomes)
    negatives = len(outcomes) - positives
    if not positives or not negatives:
        return 0.5
    rank_sum, index = 0.0, 0
    while index < len(pairs):  # average ranks over ties
        end = index
        while end + 1 < len(pairs) and pairs[end + 1][0] == pairs[index][0]:
            end += 1
        average_rank = (index + end) / 2 + 1
        rank_sum += average_rank * sum(1 for _p, y in pairs[index:end + 1] if y)
        index = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


class Evaluator:
    """Scores variable sets on test leads [(team, {variable: [values]}, won)] under the model learnt
    in ``freq``. Each lead's log-odds is its team's odds plus one term per variable, so the terms
    are computed once and a set's score only adds them up. Leads whose team's odds are unknown are
    left out."""

    def __init__(self, freq, test_leads, variables):
        totals = freq.totals()
        self.outcomes, self.priors, self.effects = [], [], {name: [] for name in variables}
        for team, values, won in test_leads:
            prior = logit(freq, totals, team, values, ())
            if prior is None:
                continue
            self.outcomes.append(1 if won else 0)
            self.priors.append(prior)
            for name in variables:
                self.effects[name].append(logit(freq, totals, team, values, (name,)) - prior)
        self._cache = {}

    def probabilities(self, variables):
        """Each test lead's probability (0-1) with ``variables``."""
        logits = list(self.priors)
        for name in variables:
            logits = [a + b for a, b in zip(logits, self.effects[name], strict=True)]
        return [sigmoid(x) for x in logits]

    def score(self, variables):
        """{"log_loss", "brier", "auc", "count"} of the model with ``variables``."""
        key = tuple(sorted(set(variables)))
        if key not in self._cache:
            probabilities = self.probabilities(key)
            self._cache[key] = {
                "log_loss": log_loss(probabilities, self.outcomes),
                "brier": brier(probabilities, self.outcomes),
                "auc": auc(probabilities, self.outcomes),
                "count": len(self.outcomes),
            }
        return self._cache[key]


def recommend(score, candidates, margin=0.005):
    """Greedy choice: from no optional variable, add the one that lowers ``score(variables)`` (a
    log-loss) the most, as long as it lowers it by more than ``margin`` of its value."""
    chosen, best = [], score(())
    while True:
        trials = {variable: score((*chosen, variable)) for variable in candidates if variable not in chosen}
        if not trials:
            return chosen
        variable, value = min(trials.items(), key=lambda item: (item[1], item[0]))
        if best - value <= margin * best:
            return chosen
        chosen.append(variable)
        best = value
