"""The per-alert call budget: at most two calls, never out of the reserve, none once the
platform refused calls."""

from __future__ import annotations

from apibrake.attribution import CallBudget


def test_two_calls_at_most() -> None:
    budget = CallBudget(limit=100_000, used=50_000, reserve_pct=5)
    assert budget.allows()
    budget.charge(1)
    assert budget.allows()
    budget.charge(1)
    assert not budget.allows()


def test_never_a_call_out_of_the_reserve() -> None:
    # 5,000 held back: 94,999 used leaves room for exactly one call
    budget = CallBudget(limit=100_000, used=94_999, reserve_pct=5)
    assert budget.allows()
    budget.charge(1)
    assert not budget.allows()
    assert not CallBudget(limit=100_000, used=95_000, reserve_pct=5).allows()


def test_none_once_the_platform_refused() -> None:
    budget = CallBudget(limit=100_000, used=0, reserve_pct=0)
    budget.refused = True
    assert not budget.allows()


def test_an_unknown_limit_allows_nothing() -> None:
    assert not CallBudget.none().allows()
