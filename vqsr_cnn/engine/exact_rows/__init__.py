"""Exact rows: a 2D variant runs at its own R + 1 read rows instead of all of them, proven exact per height.

`plan` (the row algebra and which models it applies to), `cut` (the cut model), `proof` (synthetic tensors and
the per-precision tolerance), `runner` (the engine that routes each variant to its height).
"""
