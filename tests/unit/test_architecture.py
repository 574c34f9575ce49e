"""The layer's imports point one way, and the handlers only reach the composition root.

models <- store, http, platforms <- incident, attribution <- watch, warn, brake, release,
fleet <- runtime

Every import counts, lazy and type-only ones included: an upward edge is a design
problem whether or not it runs at import time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "apibrake" / "apibrake"
FUNCTIONS = ROOT / "functions"

# Lowest first; a package may import its own layer and the ones below.
LAYERS: list[frozenset[str]] = [
    frozenset({"models", "deadline", "aws_threads", "__init__"}),
    frozenset({"store", "http", "platforms"}),
    frozenset({"incident", "attribution"}),
    frozenset({"watch", "warn", "brake", "release", "rehearsal", "fleet"}),
    frozenset({"runtime"}),
]
# Edges the layers would allow but the design does not: the two directions of an
# incident never lean on each other or on the monitor.
FORBIDDEN = {
    ("brake", "release"),
    ("release", "brake"),
    ("brake", "watch"),
    ("release", "watch"),
    ("brake", "fleet"),
    ("release", "fleet"),
    ("watch", "fleet"),
}
HANDLER_MAY_IMPORT = ("apibrake.runtime", "apibrake.models")


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(package: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if package in names)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "apibrake" or name.startswith("apibrake.")}


def _module_name(path: Path) -> str:
    relative = path.relative_to(LAYER.parent).with_suffix("")
    return ".".join(relative.parts).removesuffix(".__init__")


def _layer_edges() -> list[tuple[str, str]]:
    return [
        (_module_name(path), imported)
        for path in sorted(LAYER.rglob("*.py"))
        for imported in sorted(_imports(path))
    ]


def test_every_package_of_the_layer_has_a_layer() -> None:
    packages = {
        path.stem if path.is_file() else path.name
        for path in LAYER.iterdir()
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert packages <= set().union(*LAYERS)


def test_imports_point_down_the_layers() -> None:
    upward = [
        f"{module} imports {imported}"
        for module, imported in _layer_edges()
        if _layer(_package(imported)) > _layer(_package(module))
    ]
    assert upward == []


def test_no_forbidden_edges_between_the_top_packages() -> None:
    crossing = [
        f"{module} imports {imported}"
        for module, imported in _layer_edges()
        if (_package(module), _package(imported)) in FORBIDDEN
    ]
    assert crossing == []


def test_only_the_composition_root_uses_the_monitor_module() -> None:
    users = [
        module
        for module, imported in _layer_edges()
        if imported == "apibrake.watch.monitor"
        and _package(module) not in {"watch", "runtime", "fleet"}
    ]
    assert users == []


def test_attribution_is_reached_through_its_entry_point_only() -> None:
    outside = [(_module_name(path), _imports(path)) for path in sorted(LAYER.rglob("*.py"))] + [
        (path.stem, _imports(path)) for path in sorted((ROOT / "apibrake_cli").glob("*.py"))
    ]
    deep = [
        f"{module} imports {imported}"
        for module, imports in outside
        for imported in sorted(imports)
        if imported.startswith("apibrake.attribution.")
        and not module.startswith("apibrake.attribution")
    ]
    assert deep == []


@pytest.mark.parametrize("handler", sorted(FUNCTIONS.glob("*/app.py")), ids=lambda p: p.parent.name)
def test_handlers_reach_only_the_composition_root_and_the_event_models(handler: Path) -> None:
    stray = [name for name in _imports(handler) if not name.startswith(HANDLER_MAY_IMPORT)]
    assert stray == []


def test_a_violation_is_caught(tmp_path: Path) -> None:
    """The checker itself: an incident module importing the brake is an upward edge."""
    module = tmp_path / "probe.py"
    module.write_text("from apibrake.brake.responder import brake\n", encoding="utf-8")
    (imported,) = _imports(module)
    assert _layer(_package(imported)) > _layer(_package("apibrake.incident.engine"))
