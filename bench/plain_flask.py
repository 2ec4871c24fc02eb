"""The baseline of bench/api.py: a plain Flask app with one JSON endpoint, nothing else."""

from __future__ import annotations

from flask import Flask
from flask import request

app = Flask(__name__)


@app.get("/json")
def read_json() -> dict[str, object]:
    """Answer a small JSON document, as an evaluation read does."""
    return {"id": 1, "period": "2025-Q1", "predikat": "baik"}


@app.post("/json")
def echo_json() -> tuple[dict[str, object], int]:
    """Parse a JSON body and answer it, as an evaluation write does (without storing it)."""
    return {"received": request.get_json()}, 201
