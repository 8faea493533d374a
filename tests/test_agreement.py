"""Reliability statistics checked against values published in the literature, then the edge cases.

Published values used:
- Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School, U. Pennsylvania.
  Example A (binary, 2 coders) α = 0.095; example B (nominal, 2 coders) α = 0.692;
  example C (nominal, 4 coders, 12 units, missing values) α = 0.743.
- Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychol. Bull. 76(5), Table 1:
  30 patients × 6 psychiatrists × 5 diagnoses, P̄ = 0.556, κ = 0.430 (category totals 26, 26, 30, 55, 43,
  i.e. p_j = .144 .144 .167 .306 .239 as printed in the paper).
- Wikipedia, "Fleiss' kappa", worked example: 10 subjects × 14 raters × 5 categories, P̄ = 0.378, κ = 0.210.
- Wikipedia, "Cohen's kappa": [[20, 5], [10, 15]] κ = 0.40; the two "same agreement, different κ" tables
  [[45, 15], [25, 15]] κ = 0.1304 and [[25, 35], [5, 35]] κ = 0.2593.
- SAS PROC FREQ documentation, simple kappa example: [[0, 4, 1], [0, 8, 0], [0, 1, 5]] κ = 0.4842.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from qualcode.team.agreement import (
    Ratings,
    agreement_report,
    alpha_interval,
    brennan_prediger,
    cohen_kappa,
    coincidences,
    contingency,
    disagreements,
    fleiss_kappa,
    krippendorff_alpha,
    krippendorff_alpha_nominal,
    methods_paragraph,
    percent_agreement,
    ratings_from_rows,
    ratings_to_rows,
    unit_counts,
)
from qualcode.common.errors import QualcodeError

# Krippendorff (2011), example C: rows are units 1-12, columns coders A-D, "." = missing.
KRIPPENDORFF_C = ["1 1 . 1", "2 2 3 2", "3 3 3 3", "3 3 3 3", "2 2 2 2", "1 2 3 4",
                  "4 4 4 4", "1 1 2 1", "2 2 2 2", ". 5 5 5", ". . 1 1", ". . 3 ."]

# Fleiss (1971), Table 1 as counts: per patient, raters choosing depression, personality disorder,
# schizophrenia, neurosis, other.
FLEISS_1971 = [
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
]

WIKIPEDIA_FLEISS = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def two_coder_values(first: str, second: str) -> dict:
    return {**{(u, "A"): v for u, v in enumerate(first.split())}, **{(u, "B"): v for u, v in enumerate(second.split())}}


def binary_rows(code: str, **coders: str) -> list[tuple]:
    """Long-format rows for one code from 0/1 strings per coder ("." = did not see the unit)."""
    return [(f"u{u}", coder, code if v == "1" else "")
            for coder, values in coders.items() for u, v in enumerate(values.split()) if v != "."]


def fleiss_form(table) -> np.ndarray:
    """Two coders' 2×2 table [[both, first only], [second only, neither]] as Fleiss-form [applied, not] rows."""
    (both, first), (second, neither) = table
    return np.array([[2, 0]] * both + [[1, 1]] * (first + second) + [[0, 2]] * neither)


# ---------------------------------------------------------------- published values


def test_krippendorff_2011_four_coders_with_missing_values():
    values = {(unit, coder): None if v == "." else int(v)
              for unit, row in enumerate(KRIPPENDORFF_C, 1) for coder, v in zip("ABCD", row.split())}
    assert krippendorff_alpha_nominal(values) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_2011_four_coders_through_the_report():
    rows = [(f"unit {unit}", coder, f"value {v}")
            for unit, row in enumerate(KRIPPENDORFF_C, 1) for coder, v in zip("ABCD", row.split()) if v != "."]
    ratings, notes = ratings_from_rows(rows)
    report = agreement_report(ratings, bootstrap=0)
    assert notes == []
    assert report["overall"]["krippendorff_alpha_nominal"] == pytest.approx(0.743, abs=5e-4)
    assert report["units"] == 12 and report["units_compared"] == 11


def test_krippendorff_2011_binary_two_coders():
    rows = binary_rows("x", A="0 1 0 0 0 0 0 0 1 0", B="1 1 1 0 0 1 0 0 0 0")
    ratings, _ = ratings_from_rows(rows)
    stats = agreement_report(ratings, bootstrap=0)["per_code"]["x"]
    assert stats["krippendorff_alpha"] == pytest.approx(0.095, abs=5e-4)
    assert stats["percent_agreement"] == pytest.approx(0.6)
    assert stats["table"] == [[1, 1], [3, 5]]  # [[both, A only], [B only, neither]]
    assert stats["n_units"] == 10 and stats["prevalence"] == pytest.approx(6 / 20)


def test_krippendorff_2011_nominal_two_coders():
    values = two_coder_values("a a b b d c c c e d d a", "b a b b b c c c e d d d")
    assert krippendorff_alpha_nominal(values) == pytest.approx(0.692, abs=5e-4)


def test_fleiss_1971_psychiatric_diagnoses():
    assert np.sum(FLEISS_1971, axis=0).tolist() == [26, 26, 30, 55, 43]
    assert fleiss_kappa(FLEISS_1971) == pytest.approx(0.430, abs=5e-4)
    assert percent_agreement(FLEISS_1971) == pytest.approx(0.556, abs=5e-4)


def test_fleiss_wikipedia_example():
    assert fleiss_kappa(WIKIPEDIA_FLEISS) == pytest.approx(0.210, abs=5e-4)
    assert percent_agreement(WIKIPEDIA_FLEISS) == pytest.approx(0.378, abs=5e-4)


def test_cohen_kappa_published_tables():
    assert cohen_kappa([[20, 5], [10, 15]]) == pytest.approx(0.40)
    assert cohen_kappa([[45, 15], [25, 15]]) == pytest.approx(0.1304, abs=5e-5)
    assert cohen_kappa([[25, 35], [5, 35]]) == pytest.approx(0.2593, abs=5e-5)
    assert cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]]) == pytest.approx(0.4842, abs=5e-5)


def test_brennan_prediger_ignores_the_prevalence_that_moves_kappa():
    # Both tables have P_o = 0.6, so κ_n = (0.6 − 1/2)/(1 − 1/2) = 0.2 for both, while κ differs (above).
    for table in ([[45, 15], [25, 15]], [[25, 35], [5, 35]]):
        assert percent_agreement(fleiss_form(table)) == pytest.approx(0.6)
        assert brennan_prediger(fleiss_form(table)) == pytest.approx(0.2)
    assert brennan_prediger(WIKIPEDIA_FLEISS) == pytest.approx((0.378022 - 0.2) / 0.8, abs=1e-5)


def test_two_coder_statistics_agree_with_each_other():
    """Fleiss' κ for two coders is Scott's π; α = 1 − (n − 1)/n·(1 − π) for n values (Krippendorff 2011)."""
    counts = fleiss_form([[20, 5], [10, 15]])
    pi = fleiss_kappa(counts)
    assert krippendorff_alpha(counts) == pytest.approx(1 - (99 / 100) * (1 - pi))
    assert coincidences(counts).tolist() == [[40, 15], [15, 30]]  # 2 × both, first + second, 2 × neither


# ---------------------------------------------------------------- reading long-format rows


def test_long_format_csv_round_trip():
    text = "unit,coder,code\ns1,Ann,trust\ns1,Ann,cost\ns1,Bob,trust\ns2,Ann,\ns2,Bob,cost\ns3,Bob,\n"
    rows = [(r["unit"], r["coder"], r["code"]) for r in csv.DictReader(io.StringIO(text))]
    ratings, notes = ratings_from_rows(rows, codebook_codes=["trust", "cost", "access"])
    assert notes == []
    assert ratings.units == ["s1", "s2", "s3"] and ratings.coders == ["Ann", "Bob"]
    assert ratings.codes == ["trust", "cost", "access"]
    assert ratings.assigned[("s2", "Ann")] == frozenset() and ("s3", "Ann") not in ratings.assigned
    again, _ = ratings_from_rows(ratings_to_rows(ratings), codebook_codes=ratings.codes)
    assert again == ratings


def test_one_coder_is_refused():
    with pytest.raises(QualcodeError, match=r"^agreement needs at least two coders; found 1: A$"):
        ratings_from_rows([("u1", "A", "x"), ("u2", "A", "")])


def test_duplicate_rows_are_ignored_with_a_note():
    ratings, notes = ratings_from_rows([("u1", "A", "x"), ("u1", "A", "x"), ("u1", "B", "x")])
    assert ratings.assigned[("u1", "A")] == frozenset({"x"})
    assert notes == ["ignored 1 duplicate row(s), e.g. unit 'u1', coder 'A', code 'x'"]


def test_unknown_code_is_dropped_with_a_note_and_the_unit_still_counts_as_seen():
    ratings, notes = ratings_from_rows([("u1", "A", "x"), ("u1", "B", "typo")], codebook_codes=["x"])
    assert ratings.assigned[("u1", "B")] == frozenset()
    assert notes == ["code 'typo' is not in the codebook: dropped 1 row(s); those units still count as seen"]


def test_named_coder_without_rows_gets_a_note():
    ratings, notes = ratings_from_rows([("u1", "A", "x"), ("u1", "B", "")], coders=["B", "C", "A"])
    assert ratings.coders == ["B", "A"]
    assert notes == ["coder 'C' has no rows and is left out"]


# ---------------------------------------------------------------- undefined values and the report


def test_code_nobody_used_is_none_with_a_note():
    ratings, _ = ratings_from_rows(binary_rows("x", A="1 0 1 0", B="1 0 0 0"), codebook_codes=["x", "unused"])
    report = agreement_report(ratings, bootstrap=50)
    unused = report["per_code"]["unused"]
    assert unused["percent_agreement"] == 1.0 and unused["brennan_prediger"] == 1.0
    assert unused["cohen_kappa"] is None and unused["krippendorff_alpha"] is None and unused["alpha_ci"] is None
    assert any(note.startswith("code 'unused': Cohen's κ, Fleiss' κ, Krippendorff's α undefined — no coder")
               for note in report["notes"])
    assert report["overall"]["codes_defined"]["krippendorff_alpha"] == 1
    json.dumps(report, allow_nan=False)


def test_code_everybody_applied_everywhere_is_none_with_a_note():
    ratings, _ = ratings_from_rows(binary_rows("x", A="1 1 1", B="1 1 1"))
    report = agreement_report(ratings, bootstrap=0)
    assert report["per_code"]["x"]["fleiss_kappa"] is None
    assert "every coder applied it to every unit" in report["notes"][0]


def test_no_unit_seen_by_two_coders():
    ratings, _ = ratings_from_rows(binary_rows("x", A="1 . 0", B=". 1 ."))
    report = agreement_report(ratings, bootstrap=10)
    assert report["per_code"]["x"]["percent_agreement"] is None and report["per_code"]["x"]["n_units"] == 0
    assert report["notes"][0].endswith("no unit was seen by two or more coders")
    assert "0 segments" in methods_paragraph(report, "segments")


def test_table_functions_do_not_crash_on_empty_or_one_category_data():
    assert cohen_kappa([[0, 0], [0, 0]]) is None and cohen_kappa([[7, 0], [0, 0]]) is None
    assert cohen_kappa([[0, 5], [0, 0]]) == 0.0
    assert fleiss_kappa(np.zeros((0, 2))) is None and krippendorff_alpha([[3, 0], [2, 0]]) is None
    assert krippendorff_alpha_nominal({}) is None and percent_agreement([[1, 0]]) is None


def test_three_coders_give_coincidences_and_pairwise_kappa():
    ratings, _ = ratings_from_rows(binary_rows("x", A="1 1 0 0 1 0", B="1 0 0 0 1 0", C="1 1 0 . 1 1"))
    report = agreement_report(ratings, bootstrap=0)
    stats = report["per_code"]["x"]
    assert stats["cohen_kappa"] is None and stats["table_kind"] == "coincidence"
    assert np.sum(stats["table"]) == pytest.approx(17)  # 5 units × 3 ratings + 1 unit × 2
    assert [pair["coders"] for pair in report["pairs"]] == [["A", "B"], ["A", "C"], ["B", "C"]]
    a_b = report["pairs"][0]["per_code"]["x"]
    assert a_b["n_units"] == 6 and a_b["percent_agreement"] == pytest.approx(5 / 6)
    assert a_b["cohen_kappa"] == pytest.approx(cohen_kappa(contingency(ratings, "x", "A", "B")))
    assert report["pairs"][1]["per_code"]["x"]["n_units"] == 5
    assert any("Cohen's κ needs exactly two coders" in note for note in report["notes"])


def test_overall_nominal_alpha_needs_single_label_coding():
    ratings, _ = ratings_from_rows([("u1", "A", "x"), ("u1", "A", "y"), ("u1", "B", "x"), ("u2", "A", ""),
                                    ("u2", "B", "y")])
    report = agreement_report(ratings, bootstrap=0)
    assert report["overall"]["krippendorff_alpha_nominal"] is None
    assert any(note.startswith("overall nominal α not computed: coder 'A'") for note in report["notes"])


def test_bootstrap_interval_contains_the_estimate_and_is_fixed_by_the_seed():
    rows = binary_rows("x", A="1 1 0 0 1 0 1 1 0 0 1 0 0 1 1 0 0 0 1 0 " * 3,
                       B="1 0 0 0 1 0 1 1 0 1 1 0 0 1 1 0 1 0 1 0 " * 3)
    counts = unit_counts(ratings_from_rows(rows)[0], "x")
    low, high = alpha_interval(counts, resamples=1000, seed=7)
    assert low < krippendorff_alpha(counts) < high
    assert alpha_interval(counts, resamples=1000, seed=7) == [low, high]
    assert alpha_interval(counts, resamples=1000, seed=8) != [low, high]


def test_disagreements_list_each_coders_codes_in_unit_order():
    ratings, _ = ratings_from_rows([("u2", "A", "cost"), ("u2", "B", "trust"), ("u2", "B", "cost"),
                                    ("u1", "A", "trust"), ("u1", "B", "trust"), ("u3", "A", "cost"),
                                    ("u4", "A", ""), ("u4", "B", "access")], codebook_codes=["trust", "cost", "access"])
    assert disagreements(ratings) == [
        {"unit": "u2", "codes": {"A": ["cost"], "B": ["trust", "cost"]}, "differ": ["trust"]},
        {"unit": "u4", "codes": {"A": [], "B": ["access"]}, "differ": ["access"]},
    ]


def test_methods_paragraph_states_unit_counts_and_values():
    rows = (binary_rows("trust", A="1 1 0 0 1 0 1 1", B="1 0 0 0 1 0 1 1")
            + binary_rows("cost", A="0 0 1 1 0 0 0 1", B="0 0 1 1 0 1 0 1"))
    report = agreement_report(ratings_from_rows(rows)[0], bootstrap=100)
    text = methods_paragraph(report, "segments")
    alphas = [report["per_code"][c]["krippendorff_alpha"] for c in ("trust", "cost")]
    assert text.startswith("Agreement was assessed on 8 segments coded independently by 2 coders.")
    assert f"Krippendorff's α (nominal) averaged {np.mean(alphas):.2f} across 2 codes " \
           f"(range {min(alphas):.2f}–{max(alphas):.2f})" in text
    assert "Mean percent agreement was 87.5%" in text and "Cohen's κ" in text and "(100 resamples)" in text


def test_ratings_can_be_built_directly():
    ratings = Ratings(units=[1, 2], coders=["A", "B"], codes=["x"],
                      assigned={(1, "A"): frozenset({"x"}), (1, "B"): frozenset({"x"}),
                                (2, "A"): frozenset(), (2, "B"): frozenset()})
    assert agreement_report(ratings, bootstrap=0)["per_code"]["x"]["cohen_kappa"] == pytest.approx(1.0)
