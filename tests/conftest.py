"""Shared fixtures: paths to test data and a few small engines (kept few: compiled models are large)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / "testdata"
SHARED = ROOT.parent / "shared" / "data"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


@pytest.fixture(scope="session")
def testdata() -> Path:
    return TESTDATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


@pytest.fixture(scope="session")
def model_2d_paths() -> tuple[str, str]:
    return str(TESTDATA / "models" / "seeded_2d.json"), str(TESTDATA / "models" / "seeded_2d.hd5")


@pytest.fixture(scope="session")
def model_1d_paths() -> tuple[str, str]:
    return str(TESTDATA / "models" / "seeded_1d.json"), str(TESTDATA / "models" / "seeded_1d.hd5")
