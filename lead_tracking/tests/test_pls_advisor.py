"""The scoring advisor's maths on its own, without a database: the measures against figures worked
out by hand or by brute force, the naive Bayes as crm smooths and pools it, the greedy choice."""

import itertools
import math
import unittest

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.lead_tracking.models.pls_advisor import (
    ALL_TEAMS,
    SMOOTHING,
    Evaluator,
    Frequencies,
    auc,
    brier,
    log_loss,
    logit,
    probability,
    recommend,
    sigmoid,
)

from .common import lt_examples

PROBABILITY = st.floats(0.001, 0.999)
OUTCOMES = st.lists(st.tuples(PROBABILITY, st.integers(0, 1)), min_size=1, max_size=40)


def one_team_counts(prior, *counts):
    """Frequencies of team 1: ``prior`` (won, lost) and ``counts`` of (variable, value, won, lost)."""
    freq = Frequencies()
    freq.add_prior(1, *prior)
    for row in counts:
        freq.add(1, *row)
    return freq


class TestMeasures(unittest.TestCase):
    def test_figures_worked_by_hand(self):
        probabilities, outcomes = [0.8, 0.4, 0.3, 0.9], [1, 0, 1, 0]
        self.assertAlmostEqual(log_loss(probabilities, outcomes),
                               -(math.log(0.8) + math.log(0.6) + math.log(0.3) + math.log(0.1)) / 4)
        self.assertAlmostEqual(brier(probabilities, outcomes), (0.04 + 0.16 + 0.49 + 0.81) / 4)
        # won leads score 0.8 and 0.3, lost ones 0.4 and 0.9: 0.8 beats 0.4 only, 0.3 beats neither
        self.assertAlmostEqual(auc(probabilities, outcomes), 1 / 4)
        self.assertEqual(auc([0.5, 0.5], [1, 0]), 0.5)
        self.assertEqual(auc([0.2, 0.7], [1, 1]), 0.5)  # one class only: no ranking to judge
        self.assertEqual(log_loss([], []), 0.0)
        self.assertEqual(brier([], []), 0.0)
        self.assertLess(log_loss([1.0], [0]), 14)  # a certain mistake is clipped, not infinite

    @settings(max_examples=lt_examples(300), deadline=None)
    @given(OUTCOMES)
    def test_auc_is_the_share_of_pairs_ranked_right(self, rows):
        probabilities, outcomes = [p for p, _y in rows], [y for _p, y in rows]
        won = [p for p, y in rows if y]
        lost = [p for p, y in rows if not y]
        if not won or not lost:
            self.assertEqual(auc(probabilities, outcomes), 0.5)
            return
        pairs = [1.0 if w > z else 0.5 if w == z else 0.0 for w, z in itertools.product(won, lost)]
        self.assertAlmostEqual(auc(probabilities, outcomes), sum(pairs) / len(pairs))

    @settings(max_examples=lt_examples(300), deadline=None)
    @given(OUTCOMES)
    def test_perfect_score_beats_any_other(self, rows):
        outcomes = [y for _p, y in rows]
        sharp = [0.999 if y else 0.001 for y in outcomes]
        probabilities = [p for p, _y in rows]
        self.assertLessEqual(log_loss(sharp, outcomes), log_loss(probabilities, outcomes) + 1e-12)
        self.assertLessEqual(brier(sharp, outcomes), brier(probabilities, outcomes) + 1e-12)


class TestNaiveBayes(unittest.TestCase):
    def test_counts_smoothed_and_pooled_as_crm(self):
        freq = Frequencies()
        freq.add_prior(1, 6, 2)
        freq.add_prior(2, 1, 3)
        freq.add(1, "country_id", "10", 5, 1)
        freq.add(2, "country_id", "10", 1, 0)
        freq.add(1, "tag_id", "7", 30, 19)  # 49.2 closed leads: below crm's 50, ignored
        def rounded(counts):
            return [round(count, 9) for count in counts]

        self.assertEqual(rounded(freq.prior[1]), [6.1, 2.1])
        # all teams: the sum of each team's smoothed counts
        self.assertEqual(rounded(freq.prior[ALL_TEAMS]), [7 + 2 * SMOOTHING, 5 + 2 * SMOOTHING])
        self.assertEqual(rounded(freq.values[ALL_TEAMS]["country_id"]["10"]), [6 + 2 * SMOOTHING, 1 + 2 * SMOOTHING])
        self.assertNotIn("tag_id", freq.values[1])
        freq.add(1, "tag_id", "8", 30, 20)
        self.assertEqual(rounded(freq.values[1]["tag_id"]["8"]), [30.1, 20.1])
        self.assertEqual(rounded(freq.totals()[1]["country_id"]), [5.1, 1.1])

    def test_probability_of_a_lead(self):
        freq = one_team_counts((6, 4), ("country_id", "10", 5, 1), ("country_id", "11", 1, 3))
        totals = freq.totals()
        odds = (6.1 / 4.1) * ((5.1 / 6.2) / (1.1 / 4.2))
        self.assertAlmostEqual(probability(freq, totals, 1, {"country_id": ["10"]}, ("country_id",)),
                               odds / (1 + odds))
        # a variable left out, or a value never seen, changes nothing
        self.assertAlmostEqual(probability(freq, totals, 1, {"country_id": ["10"]}, ()), 6.1 / 10.2)
        self.assertAlmostEqual(probability(freq, totals, 1, {"country_id": ["99"]}, ("country_id",)), 6.1 / 10.2)
        # no team, or a team without closed leads: all teams' counts
        self.assertAlmostEqual(probability(freq, totals, 0, {}, ()), 6.1 / 10.2)
        self.assertAlmostEqual(probability(freq, totals, 5, {}, ()), 6.1 / 10.2)
        self.assertIsNone(logit(Frequencies(), {}, 1, {}, ()))

    def test_each_team_its_own_counts(self):
        """A team's lead is scored on that team's counts, a lead of no team (0) or of a team never seen
        on every team's; odds that cannot be formed (no lost lead at all) give None, never an error."""
        freq = Frequencies()
        freq.add_prior(1, 6, 4)
        freq.add_prior(2, 1, 9)
        freq.add(1, "country_id", "10", 5, 1)
        freq.add(2, "country_id", "10", 0, 5)
        freq.add(2, "country_id", "11", 1, 4)
        totals = freq.totals()
        lead = {"country_id": ["10"]}
        team_1 = (6.1 / 4.1) * ((5.1 / 5.1) / (1.1 / 1.1))
        self.assertAlmostEqual(probability(freq, totals, 1, lead, ("country_id",)), team_1 / (1 + team_1))
        team_2 = (1.1 / 9.1) * ((0.1 / 1.2) / (5.1 / 9.2))
        self.assertAlmostEqual(probability(freq, totals, 2, lead, ("country_id",)), team_2 / (1 + team_2))
        everyone = (7.2 / 13.2) * ((5.2 / 6.3) / (6.2 / 10.3))
        for team in (0, 7):
            self.assertAlmostEqual(probability(freq, totals, team, lead, ("country_id",)), everyone / (1 + everyone))
        only_won = Frequencies()
        only_won.add_prior(1, 3, 0)
        only_won.prior[1][1] = 0.0
        self.assertIsNone(probability(only_won, only_won.totals(), 1, {}, ()))
        self.assertIsNone(probability(Frequencies(), {}, 1, {}, ()))
        # a variable whose counts are all won (no lost total) is left out; several tags all count
        freq.values[1]["source_id"] = {"3": [2.1, 0.0]}
        totals = freq.totals()
        self.assertAlmostEqual(logit(freq, totals, 1, {"source_id": ["3"]}, ("source_id",)), math.log(6.1 / 4.1))
        freq.add(1, "tag_id", "a", 40, 20)
        freq.add(1, "tag_id", "b", 10, 50)
        freq.add(1, "tag_id", "c", 10, 10)  # 20.2 closed leads: under crm's minimum, no count
        totals = freq.totals()
        both = logit(freq, totals, 1, {"tag_id": ["a", "b", "c"]}, ("tag_id",))
        won, lost = 50.2, 70.2
        expected = math.log(6.1 / 4.1) + math.log((40.1 / won) / (20.1 / lost)) + math.log((10.1 / won) / (50.1 / lost))
        self.assertAlmostEqual(both, expected)

    def test_extremes(self):
        """Huge log-odds saturate instead of overflowing; measures of nothing are 0; certainty is
        clipped so that a wrong certain guess costs a finite loss."""
        self.assertEqual(sigmoid(1e6), 1.0)
        self.assertLess(sigmoid(-1e6), 1e-300)
        self.assertEqual(sigmoid(0), 0.5)
        self.assertEqual((log_loss([], []), brier([], [])), (0.0, 0.0))
        self.assertAlmostEqual(log_loss([0.0], [1]), -math.log(1e-6))
        self.assertAlmostEqual(log_loss([1.0], [0]), -math.log(1e-6))
        self.assertAlmostEqual(log_loss([1.0], [1]), -math.log(1 - 1e-6))
        self.assertAlmostEqual(brier([0.25, 1.0], [1, 0]), (0.5625 + 1) / 2)
        with self.assertRaises(ValueError):
            brier([0.5], [1, 0])
        with self.assertRaises(ValueError):
            log_loss([0.5, 0.2], [1])

    @settings(max_examples=lt_examples(200), deadline=None)
    @given(st.data())
    def test_evaluator_adds_up_to_the_model(self, data):
        """A set's score from the precomputed terms equals scoring each lead with the whole model."""
        variables = ("country_id", "source_id", "tag_id")
        values = st.sampled_from(["1", "2", "3"])
        counts = st.integers(0, 80)
        freq = Frequencies()
        for team in (1, 2):
            freq.add_prior(team, data.draw(counts), data.draw(counts))
            for variable in variables:
                for value in ("1", "2"):
                    freq.add(team, variable, value, data.draw(counts), data.draw(counts))
        leads = data.draw(st.lists(st.tuples(
            st.sampled_from([0, 1, 2, 3]),
            st.fixed_dictionaries({"country_id": st.lists(values, max_size=1),
                                   "source_id": st.lists(values, max_size=1),
                                   "tag_id": st.lists(values, max_size=3, unique=True)}),
            st.booleans()), min_size=1, max_size=20))
        chosen = tuple(data.draw(st.sets(st.sampled_from(variables))))
        evaluator = Evaluator(freq, leads, variables)
        totals = freq.totals()
        expected = [probability(freq, totals, team, lead_values, chosen) for team, lead_values, _won in leads]
        self.assertEqual(len(evaluator.outcomes), len([p for p in expected if p is not None]))
        for got, want in zip(evaluator.probabilities(chosen), [p for p in expected if p is not None], strict=True):
            self.assertAlmostEqual(got, want, places=9)
        kept = [(p, won) for p, (_team, _values, won) in zip(expected, leads, strict=True) if p is not None]
        if kept:
            self.assertAlmostEqual(evaluator.score(chosen)["log_loss"],
                                   log_loss([p for p, _w in kept], [1 if w else 0 for _p, w in kept]))


    def test_no_team_reads_every_team(self):
        """Counts kept for leads of no team (0) never stand for them alone: such a lead is scored on
        every team's counts; odds with no win at all are unknown too."""
        freq = Frequencies()
        freq.add_prior(0, 90, 1)
        freq.add_prior(1, 10, 30)
        totals = freq.totals()
        self.assertAlmostEqual(probability(freq, totals, 0, {}, ()), 100.2 / 131.4)
        self.assertAlmostEqual(probability(freq, totals, 1, {}, ()), 10.1 / 40.2)
        only_lost = Frequencies()
        only_lost.add_prior(1, 0, 3)
        only_lost.prior[1][0] = only_lost.prior[ALL_TEAMS][0] = 0.0
        self.assertIsNone(logit(only_lost, only_lost.totals(), 1, {}, ()))

    def test_unseen_tag_does_not_hide_the_next(self):
        """A lead's tag never counted adds nothing, and the lead's other tags still count."""
        freq = one_team_counts((60, 60), ("tag_id", "a", 40, 20), ("tag_id", "b", 20, 40))
        totals = freq.totals()
        alone = logit(freq, totals, 1, {"tag_id": ["a"]}, ("tag_id",))
        self.assertAlmostEqual(logit(freq, totals, 1, {"tag_id": ["zzz", "a"]}, ("tag_id",)), alone)
        self.assertNotAlmostEqual(alone, logit(freq, totals, 1, {}, ("tag_id",)))

    def test_evaluator_score_measures_and_cache(self):
        """A set's score holds the four measures of its probabilities, the same whatever the order or
        repetitions of its variables (read once)."""
        freq = Frequencies()
        freq.add_prior(1, 20, 20)
        freq.add(1, "country_id", "1", 15, 5)
        freq.add(1, "country_id", "2", 5, 15)
        freq.add(1, "source_id", "1", 10, 10)
        leads = [(1, {"country_id": ["1"], "source_id": ["1"]}, True),
                 (1, {"country_id": ["2"], "source_id": ["1"]}, False),
                 (1, {"country_id": ["1"]}, False),
                 (9, {"country_id": ["2"]}, True)]
        evaluator = Evaluator(freq, leads, ("country_id", "source_id"))
        outcomes = [1, 0, 0, 1]
        probabilities = evaluator.probabilities(("country_id",))
        score = evaluator.score(("country_id", "source_id", "country_id"))
        self.assertIs(score, evaluator.score(("source_id", "country_id")))
        self.assertEqual(score["count"], 4)
        both = evaluator.probabilities(("country_id", "source_id"))
        self.assertAlmostEqual(score["log_loss"], log_loss(both, outcomes))
        self.assertAlmostEqual(score["brier"], brier(both, outcomes))
        self.assertAlmostEqual(score["auc"], auc(both, outcomes))
        self.assertAlmostEqual(score["auc"], 0.5)  # one pair right, two tied, one wrong
        alone = evaluator.score(("country_id",))
        self.assertAlmostEqual(alone["brier"], brier(probabilities, outcomes))
        self.assertNotEqual(alone["brier"], evaluator.score(())["brier"])


class TestRecommend(unittest.TestCase):
    def test_greedy_with_a_margin(self):
        gains = {"a": 0.30, "b": 0.10, "c": 0.001}

        def score(variables):
            return 1.0 - sum(gains[v] for v in variables)

        self.assertEqual(recommend(score, ("c", "b", "a")), ["a", "b"])  # c gains under half a percent
        self.assertEqual(recommend(lambda variables: 1.0 + len(variables), ("a", "b")), [])

    def test_ties_all_helpful_and_the_margin_itself(self):
        """Equal gains go in name order; when every variable helps, all are chosen; a gain of exactly
        the margin is not enough."""
        self.assertEqual(recommend(lambda variables: 1.0 - 0.1 * len(variables), ("b", "c", "a")), ["a", "b", "c"])
        self.assertEqual(recommend(lambda variables: 1.0 - 0.1 * len(variables), ()), [])
        self.assertEqual(recommend(lambda variables: 1.0 - 0.25 * len(set(variables) & {"x"}), ("x",), margin=0.25), [])
        self.assertEqual(recommend(lambda variables: 1.0 - 0.26 * len(set(variables) & {"x"}), ("x",), margin=0.25),
                         ["x"])

    def test_best_first_and_a_margin_of_the_score(self):
        """The variable that helps most goes first, whatever its name; the margin is a share of the
        score itself (0.5 % of 10 is 0.05: a gain of 0.01 is not enough)."""
        gains = {"a": 0.1, "z": 0.3}
        self.assertEqual(recommend(lambda variables: 1.0 - sum(gains[v] for v in variables), ("a", "z")), ["z", "a"])
        self.assertEqual(recommend(lambda variables: 10.0 - 0.01 * len(variables), ("a",)), [])
        self.assertEqual(recommend(lambda variables: 10.0 - 0.06 * len(variables), ("a",)), ["a"])

    def test_interaction_is_followed(self):
        """Greedy reads each step's score with what is chosen already: b only helps after a."""
        def score(variables):
            chosen = set(variables)
            return 1.0 - (0.2 if "a" in chosen else 0) - (0.2 if {"a", "b"} <= chosen else 0) \
                + (0.1 if chosen == {"b"} else 0)

        self.assertEqual(recommend(score, ("b", "a")), ["a", "b"])
