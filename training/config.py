"""Paths and fixed names of the training side; constants only, nothing read at import time."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
MODELS_DIR = PROJECT_ROOT / "models"

#: Seed used when a caller does not choose one (demo, notebooks).
DEFAULT_SEED = 2025
#: Registered model names (API.md "Model registry").
RISK_MODEL_NAME = "kinerja-risk"
RECOMMENDER_MODEL_NAME = "kinerja-recommender"
