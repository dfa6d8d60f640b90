"""Pure-numpy comparison of two score tables: record matching, score agreement, threshold call changes.

Definitions (also in docs/workflow.md):
- records match on (contig, POS, REF, ALT list); the n-th copy of a duplicated key in A matches the n-th in B.
- delta = score_B - score_A over matched records where both carry a score (rounded to 1e-9 so that the
  float noise of parsing 3-decimal text does not count as a difference).
- "differs in the 3rd significant digit": both scores written to 3 significant digits (`%.3g`) differ,
  e.g. 1.234 vs 1.236 ('1.23' / '1.24') does, 12.341 vs 12.349 ('12.3' / '12.3') does not.
- tranche cut-off for tranche t% of a variant type: sort A's scores of that type ascending (n values) and
  take the one at 0-based rank k = floor(n * (100 - t) / 100); a record passes when score >= cut-off, so at
  most (100 - t)% of A's records of that type fall below it (fewer when scores tie at the cut-off).
- a call change is a matched record whose A and B scores fall on different sides of a cut-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .vcf_scores import INDEL, OTHER, SNP, TYPE_NAMES, ScoreTable

DEFAULT_SNP_TRANCHES = (99.9, 99.0)
DEFAULT_INDEL_TRANCHES = (99.5, 99.0)
# |delta| histogram: decade bins; scores are written with 3 decimals, so 0.001 is the smallest step.
DELTA_BIN_UPPERS = (0.0, 0.001, 0.01, 0.1, 1.0, 10.0)
DELTA_BIN_LABELS = ("0", "(0, 0.001]", "(0.001, 0.01]", "(0.01, 0.1]", "(0.1, 1]", "(1, 10]", "> 10")


@dataclass
class Match:
    a_idx: np.ndarray  # matched record indices in A (ascending)
    b_idx: np.ndarray  # the partner of each in B
    only_a: np.ndarray  # indices in A with no partner
    only_b: np.ndarray  # indices in B with no partner


def _occurrence(keys: np.ndarray) -> np.ndarray:
    """0 for the first record with a given key, 1 for the second copy, ... (file order)."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    idx = np.arange(sk.size)
    starts = np.r_[True, sk[1:] != sk[:-1]] if sk.size else np.zeros(0, dtype=bool)
    first = np.maximum.accumulate(np.where(starts, idx, 0)) if sk.size else idx
    occ = np.empty_like(idx)
    occ[order] = idx - first
    return occ


def match_records(a: ScoreTable, b: ScoreTable) -> Match:
    """Join A and B on (contig name, POS, REF, ALT) without Python-level loops over records."""
    names = list(dict.fromkeys(a.contigs + b.contigs))
    gid = {n: i for i, n in enumerate(names)}
    ca = np.asarray([gid[n] for n in a.contigs], dtype=np.int64)[a.contig] if len(a) else np.zeros(0, np.int64)
    cb = np.asarray([gid[n] for n in b.contigs], dtype=np.int64)[b.contig] if len(b) else np.zeros(0, np.int64)
    na = len(a)
    # Factorise REF>ALT with a dict: a fixed-width numpy string array would be sized by the longest allele.
    codes: dict = {}
    allele_id = np.fromiter(
        (codes.setdefault((r, x), len(codes)) for t in (a, b) for r, x in zip(t.ref, t.alt)), dtype=np.int64, count=na + len(b)
    )
    fields = np.stack([np.concatenate([ca, cb]), np.concatenate([a.pos, b.pos]), allele_id], axis=1)
    if fields.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Match(empty, empty, empty, empty)
    _, key = np.unique(fields, axis=0, return_inverse=True)
    key = key.ravel().astype(np.int64)
    ka, kb = key[:na], key[na:]
    occ_a, occ_b = _occurrence(ka), _occurrence(kb)
    width = int(max(occ_a.max(initial=0), occ_b.max(initial=0))) + 1
    _, ia, ib = np.intersect1d(ka * width + occ_a, kb * width + occ_b, assume_unique=True, return_indices=True)
    order = np.argsort(ia, kind="stable")
    ia, ib = ia[order], ib[order]
    only_a = np.setdiff1d(np.arange(na), ia, assume_unique=True)
    only_b = np.setdiff1d(np.arange(len(b)), ib, assume_unique=True)
    return Match(ia.astype(np.int64), ib.astype(np.int64), only_a.astype(np.int64), only_b.astype(np.int64))


def score_delta(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    """B - A rounded to 1e-9 (NaN where either is missing)."""
    return np.round(sb - sa, 9)


def differs_3rd_significant(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    """Boolean per pair: the two scores written with 3 significant digits differ.  Only the pairs that
    differ at all are formatted, so this stays cheap on millions of identical scores."""
    out = np.zeros(sa.shape, dtype=bool)
    cand = np.flatnonzero(np.isfinite(sa) & np.isfinite(sb) & (sa != sb))
    if cand.size:
        out[cand] = [f"{x:.3g}" != f"{y:.3g}" for x, y in zip(sa[cand].tolist(), sb[cand].tolist())]
    return out


def pearson_r(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson correlation, None when undefined (fewer than 2 pairs or a constant side)."""
    if x.size < 2:
        return None
    dx, dy = x - x.mean(), y - y.mean()
    den = float(np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    return None if den == 0.0 else float((dx * dy).sum() / den)


def score_agreement(sa: np.ndarray, sb: np.ndarray) -> dict:
    """Counts and statistics over matched pairs (A score, B score)."""
    both = np.isfinite(sa) & np.isfinite(sb)
    x, y = sa[both], sb[both]
    delta = score_delta(x, y)
    absd = np.abs(delta)
    return {
        "compared": int(both.sum()),
        "missing_in_a": int(np.isnan(sa).sum()),
        "missing_in_b": int(np.isnan(sb).sum()),
        "differ": int((delta != 0).sum()),
        "differ_3rd_significant_digit": int(differs_3rd_significant(x, y).sum()),
        "max_abs_delta": float(absd.max()) if absd.size else None,
        "mean_abs_delta": float(f"{absd.mean():.12g}") if absd.size else None,  # drop float noise
        "pearson_r": pearson_r(x, y),
    }


def delta_histogram(abs_delta: np.ndarray) -> dict:
    """Counts of |delta| in the decade bins of DELTA_BIN_LABELS (bin i is (upper[i-1], upper[i]])."""
    bins = np.searchsorted(np.asarray(DELTA_BIN_UPPERS), abs_delta[np.isfinite(abs_delta)], side="left")
    counts = np.bincount(bins, minlength=len(DELTA_BIN_LABELS))
    return {"labels": list(DELTA_BIN_LABELS), "counts": [int(c) for c in counts]}


def tranche_cutoff(scores: np.ndarray, tranche: float) -> float | None:
    """Score at rank floor(n * (100 - tranche) / 100) of the ascending scores (None if there are none)."""
    if not 0.0 < tranche <= 100.0:
        raise InputError(f"tranche {tranche} is not a percentage in (0, 100]")
    s = np.sort(scores[np.isfinite(scores)])
    if s.size == 0:
        return None
    k = int(np.floor(round(s.size * (100.0 - tranche) / 100.0, 6)))
    return float(s[min(k, s.size - 1)])


def threshold_changes(sa: np.ndarray, sb: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """(A passes & B fails, A fails & B passes) per pair; pass means score >= cut-off; NaN pairs never change."""
    both = np.isfinite(sa) & np.isfinite(sb)
    pa, pb = sa >= cutoff, sb >= cutoff
    return both & pa & ~pb, both & ~pa & pb


def call_change_table(
    a: ScoreTable,
    match: Match,
    sa: np.ndarray,
    sb: np.ndarray,
    snp_tranches: Sequence[float] = DEFAULT_SNP_TRANCHES,
    indel_tranches: Sequence[float] = DEFAULT_INDEL_TRANCHES,
    thresholds: Sequence[float] = (),
) -> tuple[list[dict], np.ndarray]:
    """One row per (variant type, cut-off) and the mask of matched pairs that change at any cut-off.

    Tranche cut-offs come from all of A's scored records of the type; user thresholds apply to every type
    present.  `sa`/`sb` are the matched pairs' scores in `match` order."""
    types = a.vtype[match.a_idx]
    any_change = np.zeros(sa.shape, dtype=bool)
    rows: list[dict] = []
    plan: list[tuple[int, str, float, float | None]] = []
    for t in snp_tranches:
        plan.append((SNP, "tranche", float(t), tranche_cutoff(a.score[a.vtype == SNP], t)))
    for t in indel_tranches:
        plan.append((INDEL, "tranche", float(t), tranche_cutoff(a.score[a.vtype == INDEL], t)))
    for th in thresholds:
        for vt in (SNP, INDEL, OTHER):
            if vt != OTHER or (a.vtype == OTHER).any():
                plan.append((vt, "threshold", float(th), float(th)))
    for vt, kind, value, cutoff in plan:
        sel = types == vt
        row = {
            "type": TYPE_NAMES[vt],
            "kind": kind,
            "value": value,
            "cutoff": cutoff,
            "a_records": int((a.vtype == vt).sum()),
            "compared": int((sel & np.isfinite(sa) & np.isfinite(sb)).sum()),
            "a_pass_b_fail": 0,
            "a_fail_b_pass": 0,
            "changes": 0,
        }
        if cutoff is not None:
            lost, gained = threshold_changes(sa, sb, cutoff)
            lost &= sel
            gained &= sel
            any_change |= lost | gained
            row.update(a_pass_b_fail=int(lost.sum()), a_fail_b_pass=int(gained.sum()), changes=int(lost.sum() + gained.sum()))
        rows.append(row)
    return rows, any_change


def top_differences(abs_delta: np.ndarray, k: int = 10) -> np.ndarray:
    """Positions of the k largest non-zero |delta| (ties keep file order)."""
    nz = np.flatnonzero(np.isfinite(abs_delta) & (abs_delta > 0))
    order = np.argsort(-abs_delta[nz], kind="stable")
    return nz[order[:k]]


def scatter_sample(abs_delta: np.ndarray, limit: int = 4000) -> np.ndarray:
    """Which pairs to draw: every differing pair (largest first, up to half the budget), then evenly
    spaced identical ones, so the picture stays small on whole-genome call sets yet shows every outlier."""
    finite = np.flatnonzero(np.isfinite(abs_delta))
    if finite.size <= limit:
        return finite
    diff = top_differences(abs_delta, k=limit // 2)
    rest = np.setdiff1d(finite, diff, assume_unique=False)
    take = rest[np.linspace(0, rest.size - 1, num=min(rest.size, limit - diff.size)).astype(np.int64)]
    return np.sort(np.concatenate([diff, take]))
