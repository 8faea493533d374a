"""Sentence-boundary precision, recall and F1 of the segmenters on UD gold text.

Run: .venv/bin/python bench/segment_eval.py [--ud-dir PATH] [--limit N]

Each document's sentences (their `# text = …` lines) are joined with one space and segmented;
a boundary is the end offset of every sentence but the document's last, and predicted ends are
scored against gold ones. A new document starts at a `# newdoc` line or where the `sent_id`
prefix changes (its trailing numbers dropped): the Kazakh set has no `# newdoc` lines, but its
ids name their source file ("Иран.tagged.txt:3:31"), which gives 17 documents; the Russian one
has 10. There is no English gold set, so English is covered by tests only.
"""

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import razdel
import spacy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, without installing qualcode

from qualcode.ingest.segment import sentence_spans  # noqa: E402

DEFAULT_UD_DIRS = (ROOT.parent / "shared" / "data" / "ud", Path("/work/shared/data/ud"))
TREEBANKS = {"ru": "ru_taiga-ud-test.conllu", "kk": "kk_ktb-ud-test.conllu"}
SPACY_BASELINES = {"ru": ("ru", "xx"), "kk": ("xx", "ru")}

Segmenter = Callable[[str], list[int]]


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    sentences_per_second: float


def read_documents(path: Path, limit: int | None = None) -> list[list[str]]:
    """The gold sentences of a CoNLL-U file, grouped into documents; the first `limit` only."""
    documents: list[list[str]] = []
    prefix = None
    taken = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# newdoc"):
            documents.append([])
        elif line.startswith("# sent_id"):
            sent_prefix = re.sub(r"(?:[-:]?\d+)*$", "", line.split("=", 1)[1].strip())
            if sent_prefix != prefix and documents and documents[-1]:
                documents.append([])
            prefix = sent_prefix
        elif line.startswith("# text"):
            if limit is not None and taken == limit:
                break
            if not documents:
                documents.append([])
            documents[-1].append(line.split("=", 1)[1].strip())
            taken += 1
    return [document for document in documents if document]


def gold_boundaries(sentences: list[str]) -> tuple[str, set[int]]:
    """The document text (sentences joined by a space) and the end offsets of all but the last."""
    ends, offset = set(), 0
    for sentence in sentences[:-1]:
        offset += len(sentence)
        ends.add(offset)
        offset += 1
    return " ".join(sentences), ends


def evaluate(documents: list[list[str]], segment: Segmenter) -> Score:
    """Micro-averaged boundary scores of `segment` (text → sentence end offsets) over documents."""
    true_pos = false_pos = false_neg = 0
    started = time.perf_counter()
    for sentences in documents:
        text, gold = gold_boundaries(sentences)
        predicted = set(segment(text)) - {len(text)}
        true_pos += len(predicted & gold)
        false_pos += len(predicted - gold)
        false_neg += len(gold - predicted)
    elapsed = time.perf_counter() - started
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    count = sum(len(sentences) for sentences in documents)
    return Score(precision, recall, f1, count / elapsed if elapsed else float("inf"))


def methods(language: str) -> dict[str, Segmenter]:
    """The segmenters compared for one language, by name; the last is the one qualcode ships."""
    compared: dict[str, Segmenter] = {}
    for pipeline in SPACY_BASELINES[language]:
        compared[f"spacy blank {pipeline}"] = _spacy_segmenter(pipeline)
    compared["razdel"] = lambda text: [s.stop for s in razdel.sentenize(text)]
    compared["qualcode (razdel + rules)"] = qualcode_segmenter(language)
    return compared


def qualcode_segmenter(language: str) -> Segmenter:
    """What qualcode.ingest.segment ships for `language`."""
    return lambda text: [end for _, end in sentence_spans(text, language)]


def _spacy_segmenter(language: str) -> Segmenter:
    """spaCy's sentencizer over a blank pipeline, built here so its set-up is not timed."""
    nlp = spacy.blank(language)
    nlp.add_pipe("sentencizer")
    return lambda text: [sentence.end_char for sentence in nlp(text).sents]


def find_ud_dir(given: str | None) -> Path:
    """The gold directory: --ud-dir, else the first default that exists."""
    candidates = (Path(given),) if given else DEFAULT_UD_DIRS
    for candidate in candidates:
        if (candidate / TREEBANKS["ru"]).is_file():
            return candidate
    sys.exit(f"no UD gold found in {', '.join(map(str, candidates))} (pass --ud-dir PATH)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ud-dir", help="folder with the .conllu files")
    parser.add_argument("--limit", type=int, help="only the first N sentences per language")
    args = parser.parse_args()
    ud_dir = find_ud_dir(args.ud_dir)
    print(f"{'language':9} {'method':27} {'P':>6} {'R':>6} {'F1':>6} {'sent/s':>8}")
    for language, filename in TREEBANKS.items():
        documents = read_documents(ud_dir / filename, args.limit)
        for name, segment in methods(language).items():
            score = evaluate(documents, segment)
            print(
                f"{language:9} {name:27} {score.precision:6.3f} {score.recall:6.3f} "
                f"{score.f1:6.3f} {score.sentences_per_second:8.0f}"
            )


if __name__ == "__main__":
    main()
