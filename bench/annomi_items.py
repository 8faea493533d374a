"""AnnoMI (github.com/uccollab/AnnoMI, expert-coded motivational-interviewing sessions) as two
evaluation item files for `qualcode evaluate` and bench/autocode_eval.py:

- therapist_items.csv: every utterance in session order; therapist turns are scored with their main
  behaviour (question, reflection, therapist_input, other), client turns are context only;
- client_items.csv: the same rows; client turns are scored with their talk type (change, neutral,
  sustain), therapist turns are context only.

    .venv/bin/python bench/annomi_items.py AnnoMI-simple.csv OUT_FOLDER

The data are not in the repository (its licence is not stated): fetch AnnoMI-simple.csv yourself.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualcode.common.files import read_csv_rows  # noqa: E402

TASKS = {"therapist": "main_therapist_behaviour", "client": "client_talk_type"}


def main() -> None:
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    rows = read_csv_rows(source, ("transcript_id", "utterance_id", "interlocutor", "utterance_text", *TASKS.values()))
    rows.sort(key=lambda r: (int(r["transcript_id"]), int(r["utterance_id"])))
    out.mkdir(parents=True, exist_ok=True)
    for speaker, column in TASKS.items():
        path = out / f"{speaker}_items.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text", "codes", "document", "speaker", "evaluate"])
            for r in rows:
                scored = r["interlocutor"] == speaker and r[column] not in ("", "n/a")
                writer.writerow([f"{r['transcript_id']}_{r['utterance_id']}", r["utterance_text"],
                                 r[column] if scored else "", f"session {r['transcript_id']}", r["interlocutor"],
                                 1 if scored else 0])
        print(f"{path}: {len(rows)} rows, {sum(1 for r in rows if r['interlocutor'] == speaker)} scored")


if __name__ == "__main__":
    main()
