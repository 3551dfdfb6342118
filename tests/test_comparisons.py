"""Comparisons between methods: a planted difference is found, two copies of one method differ no more often
than the nominal rate, Holm's adjustment is the hand-computed one; one curve for every configuration, or not."""

import time

import numpy as np
import pandas as pd
import pytest

from ddlaws.laws.bootstrap import Replicates
from ddlaws.laws.comparisons import comparisons_table, holm
from ddlaws.laws.heterogeneity import heterogeneity_table
from ddlaws.laws.paired import at_one_k
from synthetic_gaps import gaps_table
from test_calibration import CONFIGS, measured_gaps

DRAWS = 100


def family(rng):
    return 0.03 + rng.normal(0, 0.01, CONFIGS), 0.25 + rng.normal(0, 0.05, CONFIGS)


def test_a_planted_difference_is_found_at_the_k_both_have():
    rng = np.random.default_rng(3)
    floors, slopes = family(rng)
    # the mechanics, with no set effects to blur the planted 0.03 (the false-positive test below has them)
    gaps = measured_gaps(rng, floors, slopes, set_effect=0, interaction=0,
                         others={"b": (floors + 0.03, slopes), "random": (floors + 0.1, slopes)})
    gaps = gaps[(gaps["method"] != "b") | (gaps["ipc"] != 16)]  # b was not run at k = 16
    table = comparisons_table(gaps, resamples=300)
    pair = table[(table["method_a"] == "b") & (table["method_b"] == "m")].set_index(["statistic", "ipc"])
    assert set(pair.loc["worst"].index) == {0, 1, 2, 4, 8}
    for name, planted in (("eps_line", 0.03), ("worst", 0.03), ("mean_ior", -0.03)):
        row = pair.loc[(name, 0)]
        assert row["diff"] == pytest.approx(planted, abs=0.01), name
        assert row["pvalue_holm"] < 0.01 and row["differs"], name
        assert row["diff_ci_low"] * row["diff_ci_high"] > 0, name  # the interval excludes 0
    assert not pair.loc[("c_line", 0), "differs"]  # the same C
    assert pair.loc[("eps_line", 0), "bootstrap_unit"].startswith("configurations")
    assert pair.loc[("worst", 0), "bootstrap_unit"].startswith("eval seeds")
    against_random = table[(table["method_a"] == "m") & (table["method_b"] == "random")]
    ior = against_random[(against_random["statistic"] == "mean_ior") & (against_random["ipc"] == 0)].iloc[0]
    assert ior["value_b"] == 0 and ior["diff"] == pytest.approx(0.1, abs=0.01)  # random's own IOR is 0


def test_two_copies_of_one_method_differ_at_no_more_than_the_nominal_rate():
    """Two methods drawn from one law, measured against the same references: p < 0.05 in about 5 % of runs."""
    rng = np.random.default_rng(11)
    started = time.time()
    tables = []
    for r in range(DRAWS):
        floors, slopes = family(rng)
        gaps = measured_gaps(rng, floors, slopes, others={"m_copy": (floors, slopes)})
        tables.append(comparisons_table(gaps, draws=20, resamples=200, bootstrap_seed=r).assign(draw=r))
    table = pd.concat(tables)
    rates = table.assign(rejected=table["pvalue"] < 0.05).groupby(["statistic", "ipc"])["rejected"].mean()
    familywise = table.groupby(["draw", "holm_family"])["differs"].any().groupby("holm_family").mean()
    print(f"{DRAWS} draws in {time.time() - started:.0f} s", rates.to_dict(), familywise.to_dict())
    assert rates.max() <= 0.10 and rates.mean() <= 0.07, rates
    assert (familywise <= 0.08).all(), familywise


def test_holm_is_the_hand_computed_step_down():
    # sorted: 0.001·5, 0.01·4, 0.03·3, 0.04·2, 0.2·1 = 0.005, 0.04, 0.09, 0.08 → 0.09 (monotone), 0.2
    p = pd.Series([0.01, 0.04, np.nan, 0.03, 0.2, 0.001])
    assert holm(p).tolist()[:2] == pytest.approx([0.04, 0.09])
    assert np.isnan(holm(p)[2]) and holm(p)[3:].tolist() == pytest.approx([0.09, 0.2, 0.005])
    assert holm(pd.Series([0.6, 0.5])).tolist() == [1.0, 1.0]  # at most 1


def test_the_table_adjusts_within_each_family_of_a_dataset_and_regime():
    rng = np.random.default_rng(4)
    floors, slopes = family(rng)
    gaps = measured_gaps(rng, floors, slopes, others={"b": (floors + 0.01, slopes), "c": (floors, slopes * 0.9)})
    table = comparisons_table(gaps, draws=20, resamples=100)
    for name, rows in table.groupby("holm_family"):
        p = np.sort(rows["pvalue"].to_numpy())
        by_hand = np.minimum(np.maximum.accumulate(p * (len(p) - np.arange(len(p)))), 1.0)
        assert np.sort(rows["pvalue_holm"].to_numpy()) == pytest.approx(by_hand)
        assert (rows["tests"] == len(rows)).all()
        assert (rows["ipc"] == 0).all() == (name == "overall")
    assert len(table[table["holm_family"] == "overall"]) == 3 * 5  # 3 pairs × ε, C, α, c, worst over k


def test_heterogeneity_tells_one_curve_from_curves_that_differ():
    rng = np.random.default_rng(3)
    floors = 0.03 + rng.normal(0, 0.01, CONFIGS)
    # no set effects: with one set per k, a set × configuration effect is heterogeneity to this test (README)
    quiet = {"set_effect": 0, "interaction": 0}
    gaps = measured_gaps(rng, floors, np.full(CONFIGS, 0.25), **quiet,
                         others={"spread": (floors, np.linspace(0.1, 0.4, CONFIGS))})
    table = heterogeneity_table(gaps, resamples=300).set_index("method")
    assert table.loc["spread", "differ"] and table.loc["spread", "pvalue"] < 0.01
    assert table.loc["spread", "separate_c_max"] - table.loc["spread", "separate_c_min"] > 0.15
    assert not table.loc["m", "differ"] and table.loc["m", "common_c"] == pytest.approx(0.25, abs=0.02)
    assert table["bootstrap_unit"].str.startswith("eval seeds").all()
    hits = 0
    for r in range(60):  # one law for every configuration: a small p in about 5 % of runs
        gaps = measured_gaps(rng, floors, np.full(CONFIGS, 0.25), **quiet)
        hits += heterogeneity_table(gaps, resamples=100, bootstrap_seed=r)["differ"].iloc[0]
    assert hits / 60 <= 0.1


def test_heterogeneity_over_resampled_sets_keeps_near_the_nominal_rate():
    """Two distilled sets per k, one curve: the set bootstrap's deviations scaled to the full noise."""
    tables = [heterogeneity_table(gaps_table(configs=CONFIGS, seeds=2, seed=r, noise=0.01), resamples=100,
                                  bootstrap_seed=r) for r in range(80)]
    table = pd.concat(tables)
    assert (table["bootstrap_unit"] == "distilled sets").all()
    assert table["differ"].mean() <= 0.12, table["differ"].mean()


def test_a_statistic_of_one_k_over_resampled_sets_rests_on_that_ks_sets():
    assert at_one_k(Replicates(None, "distilled sets", 10, 2)).df == 1  # 5 k × (2 − 1) over all k; 1 at one k
    seeds = Replicates(None, "eval seeds", 40, None)
    assert at_one_k(seeds) is seeds
    tables = []
    for r in range(30):  # two copies of one method, two sets per k
        gaps = pd.concat([gaps_table(configs=CONFIGS, seed=r, noise=0.01),
                          gaps_table(configs=CONFIGS, seed=r + 1000, noise=0.01).assign(method="m_copy")])
        tables.append(comparisons_table(gaps, draws=20, resamples=100, bootstrap_seed=r))
    per_k = pd.concat(tables).query("ipc > 0")
    assert (per_k["bootstrap_unit"] == "distilled sets").all()
    assert (per_k["pvalue"] < 0.05).mean() <= 0.08  # with the pooled df of every k: 15 %
