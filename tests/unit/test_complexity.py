"""The complexity gate: no function of the product (the layer, the handlers, the CLI) is
worse than radon's grade C (cyclomatic complexity above 20)."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[2]
GATED = [ROOT / "layers" / "apibrake" / "apibrake", ROOT / "functions", ROOT / "apibrake_cli"]
WORST_GRADE = "C"


def test_no_function_is_worse_than_grade_c() -> None:
    too_complex = [
        f"{path.relative_to(ROOT)}:{block.lineno} {block.fullname} {cc_rank(block.complexity)} "
        f"({block.complexity})"
        for root in GATED
        for path in sorted(root.rglob("*.py"))
        for block in cc_visit(path.read_text(encoding="utf-8"))
        if cc_rank(block.complexity) > WORST_GRADE
    ]
    assert too_complex == []


def test_the_gate_catches_a_grade_d_function() -> None:
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(25))
    (block,) = cc_visit(f"def tangled(x):\n{branches}\n    return -1\n")
    assert cc_rank(block.complexity) > WORST_GRADE
