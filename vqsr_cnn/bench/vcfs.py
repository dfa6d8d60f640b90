"""Synthetic VCFs made of real records: repeated in place (bench) or shifted along the contig (memory test)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pysam


def _open_text(path: str | Path):
    return gzip.open(path, "rt") if str(path).endswith(".gz") else open(path)


def read_vcf(path: str | Path) -> tuple[list[str], list[list[str]]]:
    header, records = [], []
    with _open_text(path) as fh:
        for line in fh:
            if line.startswith("#"):
                header.append(line)
            elif line.strip():
                records.append(line.rstrip("\n").split("\t"))
    return header, records


def repeated_vcf(src: str | Path, out: str | Path, n: int, keep=lambda fields: True) -> int:
    """Write n records cycling over the source's records, each repeated consecutively (order stays sorted)."""
    header, records = read_vcf(src)
    records = [r for r in records if keep(r)]
    if not records:
        raise ValueError(f"no usable records in {src}")
    copies = -(-n // len(records))
    with open(out, "w") as fh:
        fh.writelines(header)
        written = 0
        for fields in records:
            for _ in range(copies):
                if written == n:
                    break
                fh.write("\t".join(fields) + "\n")
                written += 1
    return written


def _alts_for(new_ref: str, ref: str, alts: list[str], rng: random.Random) -> list[str]:
    """Keep each ALT's shape (SNV, insertion, deletion) against the reference base(s) at the new position."""
    out = []
    for alt in alts:
        if alt.startswith("<") or alt == "*" or "[" in alt or "]" in alt:
            out.append(alt)
        elif len(alt) == len(ref) == 1:
            out.append(rng.choice([b for b in "ACGT" if b != new_ref[0]]))
        elif len(alt) < len(ref):
            out.append(new_ref[0])
        elif len(ref) == 1:
            out.append(new_ref[0] + alt[1:])
        else:
            out.append(alt if alt != new_ref else new_ref[::-1])
    return out


def shifted_vcf(src: str | Path, fasta: str | Path, out: str | Path, n: int, seed: int = 0) -> int:
    """n records: copy k of each real record moves by k * stride along its contig (REF/ALT re-derived
    from the FASTA at the new position); sorted by position. Used for memory-vs-length measurements."""
    header, records = read_vcf(src)
    rng = random.Random(seed)
    with pysam.FastaFile(str(fasta)) as fa:
        lengths = dict(zip(fa.references, fa.lengths))
        copies = -(-n // len(records)) + 1
        out_records: list[list[str]] = []
        for k in range(copies):
            for fields in records:
                contig, pos, ref = fields[0], int(fields[1]), fields[3]
                length = lengths.get(contig)
                if length is None:
                    continue
                span = length - len(ref) - 2
                new_pos = 1 + (pos - 1 + k * 7919) % span
                new_ref = fa.fetch(contig, new_pos - 1, new_pos - 1 + len(ref)).upper()
                if not new_ref or any(c not in "ACGTN" for c in new_ref):
                    continue
                alts = _alts_for(new_ref, ref, fields[4].split(","), rng)
                out_records.append([contig, str(new_pos), fields[2], new_ref, ",".join(alts), *fields[5:]])
                if len(out_records) == n:
                    break
            if len(out_records) == n:
                break
    out_records.sort(key=lambda f: (f[0], int(f[1])))
    with open(out, "w") as fh:
        fh.writelines(header)
        for fields in out_records:
            fh.write("\t".join(fields) + "\n")
    return len(out_records)
