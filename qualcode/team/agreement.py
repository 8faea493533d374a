"""Inter-coder reliability: how far independent coders agree on which codes apply to which units.

Pure functions over plain data. A `Ratings` records, for each (unit, coder) pair the
coder saw, the set of codes applied. Each code is judged as a binary decision per
unit (applied / not applied), and every statistic uses only units seen by at least two
coders, so coders need not have seen the same units.

Most functions take a count table in "Fleiss form": one row per unit, one column per
category, each cell the number of coders who put that unit in that category. For one
code the columns are [applied, not applied]. Rows with fewer than two ratings carry no
information about agreement and are ignored.

A statistic that is undefined (chance agreement is 1 because nobody, or everybody, applied
the code; or no unit was seen by two coders) is None, never NaN; the report says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from qualcode.common.errors import QualcodeError

Unit = Hashable

STATISTICS = {  # report key → how a person names it
    "percent_agreement": "percent agreement",
    "cohen_kappa": "Cohen's κ",
    "fleiss_kappa": "Fleiss' κ",
    "krippendorff_alpha": "Krippendorff's α",
    "brennan_prediger": "Brennan–Prediger κ_n",
    "prevalence": "prevalence",
}
_NO_CODE = object()  # the category "saw the unit, applied no code" in single-label α; cannot clash with a code


@dataclass
class Ratings:
    """Which codes each coder applied to each unit they saw.

    A key (unit, coder) in `assigned` means the coder saw the unit; its value is the set of
    codes applied there (empty: saw it, applied none). No key: the coder never saw the unit.
    Every key's unit is in `units` and coder in `coders`; codes outside `codes` are ignored.
    """

    units: list
    coders: list[str]
    codes: list[str]
    assigned: dict[tuple[Unit, str], frozenset[str]]
    # span units belong to one code: statistics of a code then use only its own units, so text
    # that nobody gave that code never counts as agreement on it (None: every unit counts for every code)
    unit_code: dict[Unit, str] | None = None


def _scoped(ratings: "Ratings", seen: np.ndarray, code: str) -> np.ndarray:
    """`seen`, limited to the units that belong to `code` when units are per code."""
    if ratings.unit_code is None:
        return seen
    mine = np.array([ratings.unit_code.get(unit) == code for unit in ratings.units], dtype=bool)
    return seen & mine[:, None]


# ---------------------------------------------------------------- building Ratings from long-format rows


def ratings_from_rows(rows: Iterable[tuple[Unit, str, str | None]], codebook_codes: list[str] | None = None,
                      coders: list[str] | None = None) -> tuple[Ratings, list[str]]:
    """Ratings from long-format rows `unit, coder, code`, where an empty code means "saw it, applied nothing".

    Untidy data is accepted with a note rather than refused, so one stray row cannot block a
    report: duplicate rows are ignored; codes not in `codebook_codes` (when given) are dropped,
    the unit still counting as seen by that coder; rows without unit or coder are skipped; a
    coder named in `coders` with no rows is left out. Units, codes and extra coders keep the
    order of first appearance (codebook order first). Fewer than two coders is an error.
    """
    kept, notes = _clean_rows(rows)
    known = None if codebook_codes is None else set(codebook_codes)
    codes = dict.fromkeys(codebook_codes or [])
    units: dict[Unit, None] = {}
    assigned: dict[tuple[Unit, str], set[str]] = {}
    unknown: Counter[str] = Counter()
    for unit, coder, code in kept:
        units.setdefault(unit)
        applied = assigned.setdefault((unit, coder), set())
        if code and known is not None and code not in known:
            unknown[code] += 1
        elif code:
            codes.setdefault(code)
            applied.add(code)
    notes += [f"code {code!r} is not in the codebook: dropped {n} row(s); those units still count as seen"
              for code, n in unknown.items()]
    with_rows = list(dict.fromkeys(coder for _, coder in assigned))
    notes += [f"coder {coder!r} has no rows and is left out" for coder in coders or [] if coder not in with_rows]
    ordered = [c for c in coders or [] if c in with_rows] + [c for c in with_rows if c not in (coders or [])]
    _require_two_coders(ordered)
    return Ratings(list(units), ordered, list(codes), {key: frozenset(s) for key, s in assigned.items()}), notes


def _clean_rows(rows: Iterable[tuple[Unit, str, str | None]]) -> tuple[list[tuple[Unit, str, str]], list[str]]:
    """Rows with coder and code stripped; blank and duplicate rows removed and counted in notes."""
    kept: dict[tuple[Unit, str, str], None] = {}
    duplicates, blank = [], 0
    for unit, coder, code in rows:
        row = (unit, (coder or "").strip(), (code or "").strip())
        if unit is None or unit == "" or not row[1]:
            blank += 1
        elif row in kept:
            duplicates.append(row)
        else:
            kept[row] = None
    notes = [f"skipped {blank} row(s) without a unit or a coder"] if blank else []
    if duplicates:
        unit, coder, code = duplicates[0]
        notes.append(f"ignored {len(duplicates)} duplicate row(s), e.g. unit {unit!r}, coder {coder!r}, "
                     f"code {code or '(none)'!r}")
    return list(kept), notes


def ratings_to_rows(ratings: Ratings) -> list[tuple[Unit, str, str]]:
    """The long-format rows `ratings_from_rows` reads, so ratings can be saved and exchanged."""
    rows = []
    for unit in ratings.units:
        for coder in ratings.coders:
            applied = ratings.assigned.get((unit, coder))
            if applied is not None:
                rows += [(unit, coder, code) for code in _in_order(ratings, applied)] or [(unit, coder, "")]
    return rows


def _require_two_coders(coders: list[str]) -> None:
    if len(coders) < 2:
        found = f"{len(coders)}: {', '.join(coders)}" if coders else "0"
        raise QualcodeError(f"agreement needs at least two coders; found {found}")


def _in_order(ratings: Ratings, codes: Iterable[str]) -> list[str]:
    """Codes in codebook order (unknown ones last, alphabetically), so listings are stable."""
    position = {code: i for i, code in enumerate(ratings.codes)}
    return sorted(codes, key=lambda code: (position.get(code, len(position)), code))


# ---------------------------------------------------------------- from Ratings to tables


def _cube(ratings: Ratings, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """seen[u, c]: coder c saw unit u; applied[u, c, k]: and applied codes[k]. Built once, sliced per code."""
    unit_ix = {unit: i for i, unit in enumerate(ratings.units)}
    coder_ix = {coder: j for j, coder in enumerate(ratings.coders)}
    code_ix = {code: k for k, code in enumerate(codes)}
    seen = np.zeros((len(unit_ix), len(coder_ix)), dtype=bool)
    applied = np.zeros((len(unit_ix), len(coder_ix), len(code_ix)), dtype=bool)
    for (unit, coder), given in ratings.assigned.items():
        i, j = unit_ix[unit], coder_ix[coder]
        seen[i, j] = True
        applied[i, j, [code_ix[code] for code in given if code in code_ix]] = True
    return seen, applied


def _binary_counts(seen: np.ndarray, applied: np.ndarray) -> np.ndarray:
    """Fleiss-form [applied, not applied] per unit seen by two or more coders (applied: units × coders)."""
    raters = seen.sum(axis=1)
    yes = (applied & seen).sum(axis=1)
    keep = raters >= 2
    return np.column_stack([yes[keep], raters[keep] - yes[keep]])


def _binary_contingency(seen: np.ndarray, applied: np.ndarray, first: int, second: int) -> np.ndarray:
    """2×2 table of two coders over the units both saw; rows: first coder, columns: second; [applied, not]."""
    both = seen[:, first] & seen[:, second]
    a, b = applied[both, first], applied[both, second]
    return np.array([[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]])


def unit_counts(ratings: Ratings, code: str) -> np.ndarray:
    """Fleiss-form table for one code: per unit seen by ≥ 2 coders, [coders who applied it, coders who did not]."""
    seen, applied = _cube(ratings, [code])
    return _binary_counts(seen, applied[:, :, 0])


def contingency(ratings: Ratings, code: str, first: str, second: str) -> np.ndarray:
    """2×2 table [[both applied, only `first`], [only `second`, neither]] over the units both coders saw."""
    seen, applied = _cube(ratings, [code])
    return _binary_contingency(seen, applied[:, :, 0], ratings.coders.index(first), ratings.coders.index(second))


# ---------------------------------------------------------------- statistics over count tables


def _pairable(counts) -> np.ndarray:
    """The rows of a Fleiss-form table that say something about agreement: units rated at least twice."""
    table = np.asarray(counts, dtype=float)
    return table[table.sum(axis=1) >= 2]


def _categories_used(table: np.ndarray) -> int:
    return int(np.count_nonzero(table.sum(axis=0)))


def _unit_agreement(table: np.ndarray) -> np.ndarray:
    """Per unit, the share of (ordered) coder pairs that agree; Fleiss' P_i with the unit's own rater count."""
    raters = table.sum(axis=1)
    return (table * (table - 1)).sum(axis=1) / (raters * (raters - 1))


def percent_agreement(counts) -> float | None:
    """Pairwise agreement averaged over units; for two coders, simply the share of units they agree on."""
    table = _pairable(counts)
    return float(_unit_agreement(table).mean()) if len(table) else None


def prevalence(counts) -> float | None:
    """Share of all ratings in the first category; for one code, how often coders applied it."""
    table = _pairable(counts)
    return float(table[:, 0].sum() / table.sum()) if len(table) else None


def fleiss_kappa(counts) -> float | None:
    """Fleiss' (1971) κ for any number of coders per unit.

    With missing ratings, units rated fewer than twice are left out; each remaining unit's
    agreement uses its own number of raters, and the chance shares p_j are the mean over
    units of each unit's share in category j. With complete data this is Fleiss' formula.
    """
    table = _pairable(counts)
    if _categories_used(table) < 2:
        return None
    observed = _unit_agreement(table).mean()
    shares = (table / table.sum(axis=1, keepdims=True)).mean(axis=0)
    chance = float(np.sum(shares ** 2))
    return float((observed - chance) / (1 - chance))


def brennan_prediger(counts, categories: int | None = None) -> float | None:
    """Brennan & Prediger's (1981) κ_n = (P_o − 1/q)/(1 − 1/q), chance fixed at 1/q so prevalence cannot sway it.

    q is `categories`, else the table's number of columns (2 for one code: applied or not).
    """
    q = categories or np.shape(counts)[1]
    observed = percent_agreement(counts)
    if observed is None or q < 2:
        return None
    return (observed - 1 / q) / (1 - 1 / q)


def cohen_kappa(table) -> float | None:
    """Cohen's (1960) κ from a k×k table of two coders' judgements (rows: first coder, columns: second)."""
    table = np.asarray(table, dtype=float)
    n = table.sum()
    if np.count_nonzero(table.sum(axis=0) + table.sum(axis=1)) < 2:
        return None
    chance = float(table.sum(axis=1) @ table.sum(axis=0)) / (n * n)
    return float((np.trace(table) / n - chance) / (1 - chance))


def coincidences(counts) -> np.ndarray:
    """Krippendorff's coincidence matrix: each unit's ordered pairs of values, each weighted 1/(m_u − 1)."""
    table = _pairable(counts)
    weights = 1 / (table.sum(axis=1) - 1)
    return (table * weights[:, None]).T @ table - np.diag(weights @ table)


def krippendorff_alpha(counts) -> float | None:
    """Krippendorff's nominal α = 1 − D_o/D_e from the coincidence matrix; any coders, missing ratings allowed."""
    alpha = _alpha(coincidences(counts)[None])[0]
    return None if np.isnan(alpha) else float(alpha)


def _alpha(matrices: np.ndarray) -> np.ndarray:
    """Nominal α of a stack of coincidence matrices; NaN where only one category occurs (D_e = 0)."""
    totals = matrices.sum(axis=2)
    n = totals.sum(axis=1)
    observed = n - np.trace(matrices, axis1=1, axis2=2)
    expected = (n * n - np.sum(totals ** 2, axis=1)) / np.maximum(n - 1, 1)
    defined = np.count_nonzero(totals > 0, axis=1) >= 2
    return np.where(defined, 1 - observed / np.where(defined, expected, 1), np.nan)


def alpha_interval(counts, resamples: int = 1000, seed: int = 0, level: float = 0.95) -> list[float] | None:
    """Percentile bootstrap interval for nominal α, resampling units with replacement.

    The seed fixes the resamples, so the same data always give the same interval. Resamples
    in which α is undefined are skipped; None when α itself is undefined or resamples < 1.
    """
    table = _pairable(counts)
    if resamples < 1 or _categories_used(table) < 2:
        return None
    units, k = table.shape
    pairs = table[:, :, None] * table[:, None, :] - table[:, :, None] * np.eye(k)
    per_unit = (pairs / (table.sum(axis=1) - 1)[:, None, None]).reshape(units, k * k)
    rng = np.random.default_rng(seed)
    batch = max(1, 2_000_000 // units)
    alphas = np.concatenate([_alpha((_resample(rng, units, min(batch, resamples - start)) @ per_unit)
                                    .reshape(-1, k, k)) for start in range(0, resamples, batch)])
    alphas = alphas[~np.isnan(alphas)]
    if not len(alphas):
        return None
    low, high = np.quantile(alphas, [(1 - level) / 2, (1 + level) / 2])
    return [float(low), float(high)]


def _resample(rng: np.random.Generator, units: int, size: int) -> np.ndarray:
    """How many times each unit is drawn in each of `size` bootstrap samples (size × units)."""
    picks = rng.integers(0, units, size=(size, units)) + units * np.arange(size)[:, None]
    return np.bincount(picks.ravel(), minlength=size * units).reshape(size, units).astype(float)


def krippendorff_alpha_nominal(values: Mapping[tuple[Unit, str], Hashable]) -> float | None:
    """Nominal α over single-label data: one category per (unit, coder); a None value counts as missing."""
    units: dict[Unit, Counter] = {}
    categories: dict[Hashable, int] = {}
    for (unit, _), value in values.items():
        if value is not None:
            units.setdefault(unit, Counter())[value] += 1
            categories.setdefault(value, len(categories))
    table = np.zeros((len(units), len(categories)))
    for row, counter in enumerate(units.values()):
        for value, n in counter.items():
            table[row, categories[value]] = n
    return krippendorff_alpha(table)


# ---------------------------------------------------------------- the report


def agreement_report(ratings: Ratings, bootstrap: int = 1000, seed: int = 0) -> dict:
    """Every statistic per code, per coder pair and overall, JSON-ready, with a note for each undefined value.

    `units` counts all units, `units_compared` those seen by two or more coders (the ones the
    statistics use). Per code, `table` is the 2×2 contingency table for two coders
    ([[both applied, first only], [second only, neither]], rows = first coder) or, for more
    coders, the 2×2 coincidence matrix in the same [applied, not applied] order (`table_kind`).
    `bootstrap` resamples give `alpha_ci`; 0 turns it off.
    """
    _require_two_coders(ratings.coders)
    seen, applied = _cube(ratings, ratings.codes)
    notes = [] if len(ratings.coders) == 2 else [
        f"Cohen's κ needs exactly two coders; with {len(ratings.coders)} it is given per coder pair (pairs)"]
    per_code = {}
    for k, code in enumerate(ratings.codes):
        per_code[code] = _code_statistics(_scoped(ratings, seen, code), applied[:, :, k], bootstrap, seed)
        notes += _undefined_note(code, per_code[code], len(ratings.coders) == 2)
    pairs, pair_notes = _pairs(ratings, seen, applied, per_code)
    overall, overall_notes = _overall(ratings, per_code)
    return {"coders": list(ratings.coders), "units": len(ratings.units),
            "units_compared": int(np.count_nonzero(seen.sum(axis=1) >= 2)), "per_code": per_code,
            "overall": overall, "pairs": pairs, "notes": notes + pair_notes + overall_notes,
            "bootstrap": {"resamples": bootstrap, "seed": seed, "method": "percentile, units resampled"}}


def _code_statistics(seen: np.ndarray, applied: np.ndarray, bootstrap: int, seed: int) -> dict:
    counts = _binary_counts(seen, applied)
    two = seen.shape[1] == 2
    table = _binary_contingency(seen, applied, 0, 1) if two else coincidences(counts)
    return {"percent_agreement": percent_agreement(counts), "cohen_kappa": cohen_kappa(table) if two else None,
            "fleiss_kappa": fleiss_kappa(counts), "krippendorff_alpha": krippendorff_alpha(counts),
            "brennan_prediger": brennan_prediger(counts), "prevalence": prevalence(counts),
            "n_units": len(counts), "table": table.tolist(), "table_kind": "contingency" if two else "coincidence",
            "alpha_ci": alpha_interval(counts, bootstrap, seed)}


def _undefined_note(code: str, stats: dict, two_coders: bool) -> list[str]:
    """One note per code naming the statistics that are undefined and why (they share one cause)."""
    missing = [name for key, name in STATISTICS.items() if stats[key] is None and (two_coders or key != "cohen_kappa")]
    if not missing:
        return []
    if stats["n_units"] == 0:
        reason = "no unit was seen by two or more coders"
    elif stats["prevalence"] == 0:
        reason = "no coder applied it, so chance agreement is 1"
    else:
        reason = "every coder applied it to every unit, so chance agreement is 1"
    return [f"code {code!r}: {', '.join(missing)} undefined — {reason}"]


def _pairs(ratings: Ratings, seen: np.ndarray, applied: np.ndarray, per_code: dict) -> tuple[list[dict], list[str]]:
    """Percent agreement and Cohen's κ for every coder pair and code: the code × pair matrix."""
    pairs, notes = [], []
    for (i, first), (j, second) in combinations(enumerate(ratings.coders), 2):
        cells = {}
        for k, code in enumerate(ratings.codes):
            table = _binary_contingency(_scoped(ratings, seen, code), applied[:, :, k], i, j)
            n = int(table.sum())
            cells[code] = {"percent_agreement": float(np.trace(table) / n) if n else None,
                           "cohen_kappa": cohen_kappa(table), "n_units": n}
            if cells[code]["cohen_kappa"] is None and per_code[code]["krippendorff_alpha"] is not None:
                why = "they saw no unit in common" if n == 0 else "they agree on every shared unit and chance is 1"
                notes.append(f"coders {first}–{second}, code {code!r}: Cohen's κ undefined — {why}")
        pairs.append({"coders": [first, second], "per_code": cells})
    return pairs, notes


def _overall(ratings: Ratings, per_code: dict) -> tuple[dict, list[str]]:
    """Macro averages over the codes where each statistic is defined, and single-label α where it applies."""
    overall: dict = {key: _mean(stats[key] for stats in per_code.values()) for key in STATISTICS}
    overall["codes_defined"] = {key: sum(stats[key] is not None for stats in per_code.values())
                                for key in STATISTICS}
    several = next(((unit, coder) for (unit, coder), given in ratings.assigned.items() if len(given) > 1), None)
    if several:
        overall["krippendorff_alpha_nominal"] = None
        return overall, [f"overall nominal α not computed: coder {several[1]!r} applied several codes to unit "
                         f"{several[0]!r}, and it needs at most one code per coder and unit (see per-code α)"]
    values = {key: next(iter(given), _NO_CODE) for key, given in ratings.assigned.items()}
    overall["krippendorff_alpha_nominal"] = krippendorff_alpha_nominal(values)
    if overall["krippendorff_alpha_nominal"] is None:
        return overall, ["overall nominal α undefined — all ratings fall in one category or no unit was compared"]
    return overall, []


def _mean(values: Iterable[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None


def disagreements(ratings: Ratings) -> list[dict]:
    """Units seen by two or more coders who did not apply the same codes, in unit order, for reconciliation.

    `codes` gives each coder's codes (None: did not see the unit); `differ` the codes some of
    the coders who saw the unit applied and others did not.
    """
    found = []
    for unit in ratings.units:
        given = {c: ratings.assigned[(unit, c)] for c in ratings.coders if (unit, c) in ratings.assigned}
        if len(given) < 2:
            continue
        differ = frozenset.union(*given.values()) - frozenset.intersection(*given.values())
        if differ:
            found.append({"unit": unit, "codes": {c: _in_order(ratings, given[c]) if c in given else None
                                                  for c in ratings.coders},
                          "differ": _in_order(ratings, differ)})
    return found


# ---------------------------------------------------------------- prose


def methods_paragraph(report: dict, unit_name: str = "segments") -> str:
    """A methods-section paragraph stating the unit, how many units and coders, and each statistic's value."""
    codes = len(report["per_code"])
    sentences = [
        f"Agreement was assessed on {report['units_compared']:,} {unit_name} coded independently by "
        f"{len(report['coders'])} coders.",
        f"Each of the {codes} codes was treated as a binary judgement (applied or not) on each of the {unit_name}, "
        f"using the {unit_name} seen by at least two coders.",
    ]
    alphas = _defined(report, "krippendorff_alpha")
    if alphas:
        sentences.append(f"Krippendorff's α (nominal) averaged {np.mean(alphas):.2f} across {len(alphas)} codes "
                         f"(range {min(alphas):.2f}–{max(alphas):.2f}).")
    if codes - len(alphas):
        sentences.append(f"α was undefined for {codes - len(alphas)} code(s) that were applied by no coder, or by "
                         f"every coder to every unit (chance agreement of 1).")
    sentences.append(_other_statistics(report))
    if alphas and report["bootstrap"]["resamples"] > 0:
        sentences.append(f"95% confidence intervals for α were obtained by a percentile bootstrap over {unit_name} "
                         f"({report['bootstrap']['resamples']:,} resamples).")
    nominal = report["overall"]["krippendorff_alpha_nominal"]
    if nominal is not None:
        sentences.append(f"As each coder gave at most one code per unit, the codes were also treated as one nominal "
                         f"variable: α = {nominal:.2f}.")
    return " ".join(s for s in sentences if s)


def _defined(report: dict, key: str) -> list[float]:
    return [stats[key] for stats in report["per_code"].values() if stats[key] is not None]


def _other_statistics(report: dict) -> str:
    """The sentence giving mean percent agreement, κ (Cohen's for two coders, else Fleiss') and κ_n."""
    overall = report["overall"]
    kappa = "cohen_kappa" if len(report["coders"]) == 2 else "fleiss_kappa"
    parts = []
    if overall["percent_agreement"] is not None:
        parts.append(f"mean percent agreement was {100 * overall['percent_agreement']:.1f}%")
    if overall[kappa] is not None:
        parts.append(f"mean {STATISTICS[kappa]} {overall[kappa]:.2f}")
    if overall["brennan_prediger"] is not None:
        parts.append(f"mean Brennan–Prediger κ_n (chance 1/2) {overall['brennan_prediger']:.2f}")
    if not parts:
        return ""
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return text[0].upper() + text[1:] + "."
