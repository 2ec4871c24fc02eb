"""The per-worker memo keeps values for one change generation only."""

from __future__ import annotations

from service.auth.memo import Memo


def test_a_value_is_kept_for_its_generation_only() -> None:
    memo = Memo()
    assert memo.at(1).get("k") is None
    memo.at(1).put("k", "v")
    assert memo.at(1).get("k") == "v"
    assert memo.at(2).get("k") is None  # the counter moved: everything is forgotten
    assert memo.at(2).get("k") is None


def test_a_value_computed_before_a_change_is_not_kept_after_it() -> None:
    memo = Memo()
    before = memo.at(1)
    assert before.get("k") is None  # thread A read generation 1 and computes...
    assert memo.at(2).get("k") is None  # ...thread B read 2 meanwhile
    before.put("k", "stale")
    assert memo.at(2).get("k") is None


def test_the_memo_never_grows_past_its_bound() -> None:
    memo = Memo(max_entries=3)
    for key in range(10):
        memo.at(1).put(key, key)
    assert len(memo._entries) <= 3
