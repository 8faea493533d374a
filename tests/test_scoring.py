"""The suggestion pipeline's parts on real inputs: neighbouring turns, exclusive groups (declared and
inferred), held-out thresholds, short turns, and the evaluation's context rows."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from qualcode import autocode
from qualcode.autocode import calibration, scoring
from qualcode.autocode.embed import load_embedder
from qualcode.common.errors import QualcodeError
from qualcode.autocode.evaluate import read_items
from qualcode.autocode.exclusivity import MIN_EVIDENCE, resolve_groups
from qualcode.autocode.turn_context import neighbour_block


@pytest.fixture(scope="module")
def use():
    return load_embedder("use-multilingual-v3")


def test_neighbours_stay_inside_their_document():
    vectors = np.eye(4, dtype=np.float32)
    block = neighbour_block(vectors, np.array(["a", "a", "a", "b"]), weight=0.5)
    assert block.shape == (4, 8)
    assert np.allclose(block[0, :4], 0) and np.allclose(block[0, 4:], 0.5 * vectors[1])   # first row: no previous
    assert np.allclose(block[1, :4], 0.5 * vectors[0]) and np.allclose(block[1, 4:], 0.5 * vectors[2])
    assert np.allclose(block[2, 4:], 0) and np.allclose(block[3], 0)  # document b stands alone


def _decisions(rows_codes: dict[int, set[int]], k: int) -> dict[int, dict[int, bool]]:
    return {j: {row: j in codes for row, codes in rows_codes.items()} for j in range(k)}


def test_groups_declared_inferred_and_overruled():
    one_each = {row: {row % 3} for row in range(MIN_EVIDENCE)}
    inferred, = resolve_groups([([0, 1, 2], None)], _decisions(one_each, 3))
    assert inferred.exclusive and inferred.inferred and inferred.exhaustive
    assert "inferred from 20 coded segments" in inferred.describe(["Күшті", "Әлсіз", "Қауіп"])
    overruled, = resolve_groups([([0, 1, 2], False)], _decisions(one_each, 3))
    assert not overruled.exclusive and "the codebook says so" in overruled.describe(["a", "b", "c"])
    too_few = {row: {row % 3} for row in range(MIN_EVIDENCE - 1)}
    assert not resolve_groups([([0, 1, 2], None)], _decisions(too_few, 3))[0].exclusive
    together = {**one_each, 0: {0, 1}}
    group, = resolve_groups([([0, 1, 2], None)], _decisions(together, 3))
    assert not group.exclusive and "applied two together" in group.describe(["a", "b", "c"])
    some_without = {**one_each, 99: set()}
    group, = resolve_groups([([0, 1, 2], None)], _decisions(some_without, 3))
    assert group.exclusive and not group.exhaustive   # at most one, not exactly one
    declared, = resolve_groups([([0, 1], True)], {})
    assert declared.exclusive and not declared.exhaustive and not declared.inferred
    assert resolve_groups([([4], True)], {}) == []   # one code is no group


def test_threshold_is_the_lowest_score_reaching_the_target():
    scores = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.55, 0.52, 0.4, 0.3])
    truth = np.array([1, 1, 1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    # smoothed precision of the top k: (right + 1) / (k + 2) → 5 of 5: 6/7 = 0.857; 6 of 7: 7/9 = 0.778
    cal = calibration.for_precision(scores, truth, target=0.8)
    assert not cal.learning and cal.threshold == pytest.approx(0.7) and cal.precision == pytest.approx(6 / 7)
    lenient = calibration.for_precision(scores, truth, target=0.75)
    assert lenient.threshold == pytest.approx(0.55) and lenient.precision == pytest.approx(7 / 9)
    never = calibration.for_precision(scores, truth, target=0.9)
    assert never.learning and never.threshold == pytest.approx(0.7)   # its best point, flagged as learning
    few = calibration.for_precision(scores, np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], dtype=bool))
    assert few.learning and few.precision is None
    assert calibration.learning_cut(np.linspace(0, 1, 101), 0.5, top=10) == pytest.approx(0.91)


RU_KK = ["В ЦОНе очередь на три часа, я весь день потеряла.",
         "Портал eGov опять не открывался, я не смогла подать заявление.",
         "Кезекте үш сағат тұрдым, талон бітіп қалды.",
         "Мобильді қосымша жиі қатып қалады, құжат жібере алмадым.",
         "Согласен.",
         "Очередь в ЦОН была до самого вечера.",
         "Сайт висит каждый вечер, ничего не работает."]


def _task(use, texts, codes, decisions, candidates, engine="auto") -> scoring.Task:
    vectors = use.encode(texts)
    return scoring.Task(vectors, texts, np.zeros(len(texts), dtype=int), codes, [use.encode(c.positives) for c in codes],
                        [np.zeros((0, vectors.shape[1]), np.float32) for _ in codes], decisions,
                        np.ones(len(texts), dtype=bool), candidates, engine)


CODES = [autocode.CodeText("Очередь", ["Очередь: долгое ожидание в ЦОНе", "Стояла в очереди два часа"]),
         autocode.CodeText("Портал", ["Портал: сбои сайта и приложения eGov", "Сайт eGov не работает"])]


def test_an_exclusive_group_gives_at_most_one_code_and_short_turns_none(use):
    decisions = {0: {0: True, 1: False, 2: True, 3: False}, 1: {0: False, 1: True, 2: False, 3: True}}
    outcome = scoring.run(_task(use, RU_KK, CODES, decisions, [([0, 1], True)]))
    assert outcome.groups[0].exclusive
    assert (outcome.predicted.sum(axis=1) <= 1).all()
    assert not outcome.predicted[4].any()                      # "Согласен." is nobody's topic
    assert outcome.predicted[5, 0] and outcome.predicted[6, 1]  # unseen Russian turns, right codes
    group = outcome.model.probability[:, [0, 1]]
    assert np.all(group.sum(axis=1) <= 1 + 1e-5)               # one multinomial model over the siblings
    assert {c["engine"] for c in outcome.calibration} == {"learned"}


def test_short_turns_take_codes_that_coders_gave_to_short_turns(use):
    texts = RU_KK + ["Да-да, точно.", "Так и есть."]
    codes = CODES + [autocode.CodeText("Согласие", ["Согласие: участник соглашается с предыдущим"])]
    agree = {4: True, 7: True, 0: False, 1: False}
    decisions = {0: {0: True, 1: False, 4: False, 7: False}, 1: {0: False, 1: True, 4: False, 7: False}, 2: agree}
    outcome = scoring.run(_task(use, texts, codes, decisions, []))
    allowed = scoring._short_allowed(_task(use, texts, codes, decisions, []), np.array([len(t.split()) <= 3
                                                                                      for t in texts]))
    assert list(allowed) == [False, False, True]
    assert not outcome.predicted[[4, 7, 8], :2].any()   # short turns never get the topics


def test_evaluate_reads_context_rows_and_refuses_a_bad_flag(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("id,text,codes,document,speaker,evaluate\n"
                     "1,Расскажите про ЦОН.,Портал,g1,Модератор,0\n"
                     "2,Кезекте үш сағат тұрдым.,Очередь,g1,Әсел,1\n"
                     "3,Сайт висит.,Портал,g2,Ерлан,1\n"
                     "4,Очередь огромная.,Очередь,g1,Дәурен,1\n", encoding="utf-8")
    read = read_items(items)
    assert [i.id for i in read] == ["1", "2", "4", "3"]          # each conversation together, in file order
    assert not read[0].evaluate and read[1].document == "g1"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,codes,evaluate\n1,Привет,,maybe\n", encoding="utf-8")
    with pytest.raises(QualcodeError, match=r"bad.csv: item 1: 'evaluate' must be 1 or 0, not 'maybe'"):
        read_items(bad)


def test_evaluate_cli_reports_thresholds_context_and_groups(tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text("name: Қызмет\nexclusive: true\ncodes:\n"
                    "  - name: Очередь\n    definition: Долгое ожидание в ЦОНе, кезек.\n"
                    "  - name: Портал\n    definition: Сбои портала и приложения eGov.\n", encoding="utf-8")
    rows = ["id,text,codes,document,speaker,evaluate"]
    queue = ["Очередь в ЦОН на три часа.", "Кезекте үш сағат тұрдым.", "Талон кончился к обеду.",
             "Я стояла в очереди с утра.", "Электронная очередь не работает и живая очередь огромная."]
    portal = ["Портал eGov завис.", "Сайт не открывается вечером.", "Қосымша қатып қалды.",
              "Приложение вылетает при подписи.", "ЭЦП на портале не принимается."]
    for i in range(30):
        rows.append(f"m{i},Расскажите подробнее.,,g{i % 3},Модератор,0")
        rows.append(f"q{i},{queue[i % 5]} ({i}),Очередь,g{i % 3},P{i % 4},1")
        rows.append(f"p{i},{portal[i % 5]} ({i}),Портал,g{i % 3},P{i % 4},1")
    items = tmp_path / "items.csv"
    items.write_text("\n".join(rows), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qualcode.cli", "evaluate", "--data", str(items), "--codebook",
                           str(book), "--train-fraction", "0.5", "--seed", "0", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["n_context"] == 30 and out["n_train"] + out["n_test"] == 60
    assert out["groups"][0].startswith("exclusive (declared; every decided segment has exactly one")
    for metrics in out["per_code"].values():
        assert metrics["threshold"] == 0.0 and 0 < metrics["estimated_precision"] <= 1
        assert metrics["kappa"] > 0.8   # two well-separated codes, one per item
