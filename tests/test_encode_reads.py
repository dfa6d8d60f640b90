"""Read-tensor encoding, with expectations worked out by hand from GATK 4.2's rules (docs/design.md §5).

Window 8, variant at position 10: the window starts at 10 - 8//2 = 6, column c shows position 6 + c.
"""

from __future__ import annotations

import numpy as np
import pytest
from encoding_helpers import expected_read_row, expected_reference, set_flags

from vqsr_cnn.encode.reads import encode_read_tensor, order_reads, sort_base
from vqsr_cnn.records import Read, Variant

W, LIMIT, POS = 8, 4, 10
REF = "ACGTACGT"


def read(seq: str, cigar: str, start: int, q: int = 30, reverse=False, mate_reverse=False, first=True, mapq=60) -> Read:
    return Read(seq, np.full(len(seq), q, dtype=np.uint8), cigar, reverse, mate_reverse, first, mapq, start)


def snp() -> Variant:
    return Variant("chr1", POS, "A", ("C",), "SNP")


def encode(reads: list[Read], variant: Variant | None = None, ref: str = REF) -> np.ndarray:
    return encode_read_tensor(variant or snp(), ref, reads, W, LIMIT)


def test_snp_read_fills_bases_pot_hot_and_flags_half_open():
    t = encode([read("ACGTACGT", "8M", 6, q=30, reverse=True, first=True, mapq=45)])
    want = expected_read_row("ACGTACGT", [30] * 8, W)
    set_flags(want, 0, 7, reverse=True, mate_reverse=False, first=True, mapq=45)  # last filled column gets none
    np.testing.assert_allclose(
        t[0, :, [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]].T, want[:, [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]], rtol=1e-6, atol=1e-7
    )
    assert not t[1:, :, :5].any() and not t[1:, :, 10:].any()  # empty rows stay empty
    np.testing.assert_array_equal(t[:, :, 5:10], np.broadcast_to(expected_reference(REF, W), (LIMIT, W, 5)))


def test_read_starting_before_window_is_cut_and_after_window_is_skipped():
    before = read("TTACGTACGT", "10M", 4)  # shift 2: first two bases fall left of the window
    after = read("GTCC", "4M", 8, first=False, mate_reverse=True)  # shift -2: two empty columns first
    t = encode([after, before])
    # order by the base at offset pos-start: before shows seq[6]='A', after shows seq[2]='C'.
    # GATK's quirk: the read is cut to `window` bases *before* the shift, so the last two columns stay empty.
    np.testing.assert_allclose(t[0, :, :5], expected_read_row("ACGTAC~~", [30] * 6 + [0, 0], W)[:, :5], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        t[1, :, :5], expected_read_row("~~GTCC~~", [0, 0, 30, 30, 30, 30, 0, 0], W)[:, :5], rtol=1e-6, atol=1e-7
    )
    assert t[1, :, 11].tolist() == [0, 0, 1, 1, 1, 0, 0, 0]  # mate reverse over columns [2, 5)
    assert t[1, :, 13].tolist() == [0, 0, 1, 1, 1, 0, 0, 0]  # second of pair
    assert t[1, :, 12].sum() == 0


def test_insertion_widens_every_row_and_the_reference():
    inserting = read("ACGTTTACGT", "3M2I5M", 6)  # 2 inserted bases after 3 aligned ones: key 3
    plain = read("ACGTACGT", "8M", 6)
    indel = Variant("chr1", POS, "A", ("AT",), "INDEL")
    t = encode([inserting, plain], indel)
    rows = {sort_base(r, indel): r for r in (inserting, plain)}
    assert list(rows) == ["T", "C"]  # indels look at offset pos-start+1 = 5: 'T' vs 'C'
    # plain read sorts first ('C' < 'T'); it gets '**' at key 3; the inserting read is unchanged
    np.testing.assert_allclose(
        t[0, :, :5], expected_read_row("ACG**TAC", [30, 30, 30, 0, 0, 30, 30, 30], W)[:, :5], rtol=1e-6, atol=1e-7
    )
    np.testing.assert_allclose(t[1, :, :5], expected_read_row("ACGTTTAC", [30] * 8, W)[:, :5], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(t[0, :, 5:10], expected_reference("ACG**TAC", W))


def test_deletion_shows_as_gap_in_the_read_only():
    t = encode([read("ACACGT", "2M2D4M", 6)])
    np.testing.assert_allclose(
        t[0, :, :5], expected_read_row("AC**ACGT", [30, 30, 0, 0, 30, 30, 30, 30], W)[:, :5], rtol=1e-6, atol=1e-7
    )
    np.testing.assert_array_equal(t[0, :, 5:10], expected_reference(REF, W))  # reference is not widened by deletions


def test_soft_clipped_bases_are_shown_from_the_unclipped_start():
    t = encode([read("TTGTACGT", "2S6M", 6)])
    np.testing.assert_allclose(t[0, :, :5], expected_read_row("TTGTACGT", [30] * 8, W)[:, :5], rtol=1e-6, atol=1e-7)


def test_iupac_codes_in_reads_and_reference_use_gatk_fractions():
    t = encode([read("AKGTACGT", "8M", 6)], ref="RCGTACGN")
    assert t[0, 1, :4].tolist() == [0, 0, 0.5, 0.5]  # K, quality ignored
    np.testing.assert_allclose(t[2, 0, 5:9], [0.5, 0, 0, 0.5])  # GATK's R, in every row
    np.testing.assert_allclose(t[3, 7, 5:9], [0.25] * 4)


def test_nul_padding_past_contig_end_leaves_reference_columns_empty():
    t = encode([read("ACGT", "4M", 6)], ref="ACGT\x00\x00\x00\x00")
    assert t[:, 4:, 5:10].sum() == 0 and t[:, :4, 5:10].sum() == LIMIT * 4


def test_more_reads_than_limit_keeps_an_evenly_spaced_deterministic_subset():
    reads = [read(b * 8, "8M", 6, mapq=10 * (i + 1)) for i, b in enumerate("AACCGT")]
    ordered = order_reads(reads, snp())
    t1 = encode(reads)
    np.testing.assert_array_equal(t1, encode(reads))  # no randomness (GATK samples at random here)
    kept = [ordered[i] for i in (0, 1, 3, 4)]  # (arange(4) * 6) // 4
    np.testing.assert_allclose(t1[:, 0, 14], [r.mapping_quality / 60 for r in kept], rtol=1e-6)


def test_unknown_base_is_an_error_naming_the_symbol():
    with pytest.raises(ValueError, match="'Q'"):
        encode([read("ACQTACGT", "8M", 6)])


def test_no_reads_gives_reference_only_tensor():
    t = encode([])
    assert not t[:, :, :5].any() and not t[:, :, 10:].any() and t[:, :, 5:10].sum() == LIMIT * W
