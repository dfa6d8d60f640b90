"""Truth-sensitivity tranche cut-offs from resource VCFs, computed the way GATK's FilterVariantTranches does,
and the calls that change side of them between two scorings.

FilterVariantTranches' rules (public behaviour of the GATK tool, re-stated here):
- a scored SNP (or indel) is *in the resources* when a resource record overlapping its REF span shares at least
  one ALT allele with it (any position inside the overlap; each scored record counts once);
- the scores of the resource-overlapping SNPs are sorted in descending order (n values); the cut-off of tranche
  t% is the value at 0-based index floor(t / 100 x (n - 1));
- a record is filtered at tranche t when score <= that cut-off, so the t% tranche keeps (about) t% of the
  resource-overlapping records: those scoring strictly above it.  Indels likewise with the indel tranches.
Each scoring gets its own cut-offs (as running FilterVariantTranches on it would), so a call changes side of
tranche t when (score_A > cutoff_A(t)) != (score_B > cutoff_B(t)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .vcf_scores import INDEL, SNP, TYPE_NAMES, ScoreTable

GATK_SNP_TRANCHES = (99.9, 99.95)
GATK_INDEL_TRANCHES = (99.0, 99.4)


@dataclass
class ContigSites:
    start: np.ndarray  # int64, sorted
    end: np.ndarray  # int64, inclusive
    alts: list  # frozenset of upper-case ALT strings per record
    longest: int  # longest REF span, bounds the search window


def load_resources(paths: Sequence[str], contigs: Sequence[str]) -> dict[str, ContigSites]:
    """Resource records on `contigs` (fetched through the index when there is one), merged over all files."""
    from .vcf_scores import _open_pysam

    rows: dict[str, list] = {c: [] for c in contigs}
    for path in paths:
        with _open_pysam(str(path)) as vf:
            names = set(vf.header.contigs)
            try:  # through the index: only the contigs the scored files use
                sources = [vf.fetch(c) for c in contigs if c in names]
            except ValueError:  # no index: read it all
                sources = [vf]
            for source in sources:
                for rec in source:
                    if rec.contig in rows and rec.alts:
                        rows[rec.contig].append((rec.pos, rec.pos + len(rec.ref) - 1, frozenset(a.upper() for a in rec.alts)))
    out = {}
    for contig, recs in rows.items():
        recs.sort(key=lambda r: r[0])
        start = np.asarray([r[0] for r in recs], dtype=np.int64)
        end = np.asarray([r[1] for r in recs], dtype=np.int64)
        longest = int((end - start).max()) + 1 if recs else 1
        out[contig] = ContigSites(start, end, [r[2] for r in recs], longest)
    return out


def in_resources(table: ScoreTable, sites: dict[str, ContigSites]) -> np.ndarray:
    """Per record of `table`: SNP/INDEL with a score that a resource record overlaps with a shared ALT."""
    hit = np.zeros(len(table), dtype=bool)
    candidates = np.flatnonzero(np.isin(table.vtype, (SNP, INDEL)) & np.isfinite(table.score))
    for i in candidates.tolist():
        s = sites.get(table.contigs[table.contig[i]])
        if s is None or s.start.size == 0:
            continue
        pos = int(table.pos[i])
        end = pos + len(table.ref[i]) - 1
        lo = int(np.searchsorted(s.start, pos - s.longest + 1, side="left"))
        hi = int(np.searchsorted(s.start, end, side="right"))
        alts = {a.upper() for a in str(table.alt[i]).split(",")}
        for j in range(lo, hi):
            if s.end[j] >= pos and not alts.isdisjoint(s.alts[j]):
                hit[i] = True
                break
    return hit


def gatk_cutoffs(resource_scores: np.ndarray, tranches: Sequence[float]) -> list[float | None]:
    """Cut-off per tranche: descending scores at index floor(t / 100 x (n - 1)); None without resource records."""
    s = np.sort(resource_scores[np.isfinite(resource_scores)])[::-1]
    out: list[float | None] = []
    for t in tranches:
        if not 0.0 <= t < 100.0:
            raise InputError(f"resource tranche {t} must be in [0, 100) (FilterVariantTranches' range)")
        out.append(float(s[int((t / 100.0) * (s.size - 1))]) if s.size else None)
    return out


def resource_tranche_rows(
    a: ScoreTable,
    b: ScoreTable,
    a_idx: np.ndarray,
    b_idx: np.ndarray,
    sa: np.ndarray,
    sb: np.ndarray,
    snp_tranches: Sequence[float],
    indel_tranches: Sequence[float],
    sites: dict[str, ContigSites],
) -> tuple[list[dict], np.ndarray]:
    """One row per (type, tranche) and the mask of matched pairs that change side of any of them.
    `a_idx`/`b_idx` are the matched records, `sa`/`sb` their scores."""
    hit_a, hit_b = in_resources(a, sites), in_resources(b, sites)
    types = a.vtype[a_idx]
    both = np.isfinite(sa) & np.isfinite(sb)
    changed = np.zeros(sa.shape, dtype=bool)
    rows = []
    for vt, tranches in ((SNP, snp_tranches), (INDEL, indel_tranches)):
        ordered = sorted(set(float(t) for t in tranches))
        in_a, in_b = hit_a & (a.vtype == vt), hit_b & (b.vtype == vt)
        cuts_a, cuts_b = gatk_cutoffs(a.score[in_a], ordered), gatk_cutoffs(b.score[in_b], ordered)
        sel = (types == vt) & both
        for t, ca, cb in zip(ordered, cuts_a, cuts_b):
            row = {
                "type": TYPE_NAMES[vt],
                "kind": "resource_tranche",
                "value": t,
                "cutoff": ca,
                "cutoff_b": cb,
                "a_records": int((a.vtype == vt).sum()),
                "resource_a": int(in_a.sum()),
                "resource_b": int(in_b.sum()),
                "compared": int(sel.sum()),
                "a_pass_b_fail": 0,
                "a_fail_b_pass": 0,
                "changes": 0,
                "a_kept": None,
                "b_kept": None,
            }
            if ca is not None and cb is not None:
                pa, pb = sa > ca, sb > cb
                lost, gained = sel & pa & ~pb, sel & ~pa & pb
                changed |= lost | gained
                row.update(
                    a_pass_b_fail=int(lost.sum()),
                    a_fail_b_pass=int(gained.sum()),
                    changes=int(lost.sum() + gained.sum()),
                    a_kept=int((a.score[in_a] > ca).sum()),
                    b_kept=int((b.score[in_b] > cb).sum()),
                )
            rows.append(row)
    return rows, changed
