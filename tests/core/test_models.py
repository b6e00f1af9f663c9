"""The tables load by area, on first use: what `fabdesk.models` names, and what each area brings."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import fabdesk.models
from fabdesk.models import _AREAS, load_all


def test_every_name_is_found_in_its_area() -> None:
    listed = [name for names in _AREAS.values() for name in names]
    assert sorted(listed) == sorted(set(fabdesk.models.__all__)), "`_AREAS` lists `__all__`"
    for area, names in _AREAS.items():
        module = importlib.import_module(f"fabdesk.models.{area}")
        for name in names:
            assert getattr(fabdesk.models, name) is getattr(module, name)


def _imported_areas(module: ModuleType) -> set[str]:
    """The area modules `module` imports, and those they import, and so on."""
    found: set[str] = set()
    pending = [module]
    while pending:
        for value in vars(pending.pop()).values():
            if isinstance(value, ModuleType) and value.__name__.startswith("fabdesk.models."):
                area = value.__name__.removeprefix("fabdesk.models.")
                if area not in found:
                    found.add(area)
                    pending.append(value)
    return found


def test_each_area_imports_the_areas_its_foreign_keys_name() -> None:
    """SQLAlchemy resolves a foreign key (`makers.id`) when it orders a flush: the table it names
    must be loaded with the table that holds it, or writing a row fails."""
    metadata = load_all()
    area_of = {
        str(mapper.class_.__tablename__): mapper.class_.__module__.removeprefix("fabdesk.models.")
        for mapper in fabdesk.models.Site._sa_registry.mappers
    }
    for module in pkgutil.iter_modules(fabdesk.models.__path__):
        area = importlib.import_module(f"fabdesk.models.{module.name}")
        needed = {
            area_of[key.column.table.name]
            for table in metadata.tables.values()
            if area_of.get(table.name) == module.name
            for key in table.foreign_keys
        } - {module.name}
        assert needed <= _imported_areas(area), f"fabdesk.models.{module.name} needs {needed}"


def _without_fabdesk_settings() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("FABDESK_")}


def test_a_read_command_loads_only_the_tables_it_reads(sqlite_url: str) -> None:
    """`fabdesk sites` imports the sites and the equipment, not the ledger or the bookings, and
    no Alembic (the CPU budget of issue 16: see benchmarks/bench_cli.py)."""
    code = (
        "import sys\nfrom fabdesk.cli import main\nsys.argv = ['fabdesk', 'sites']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('fabdesk.models.') "
        "or m.split('.')[0] == 'alembic'), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**_without_fabdesk_settings(), "FABDESK_DATABASE__URL": sqlite_url},
    )
    loaded = result.stderr.strip()
    assert loaded == "['fabdesk.models._types', 'fabdesk.models.equipment', 'fabdesk.models.sites']"


def test_the_whole_schema_is_read_through_load_all() -> None:
    """`SQLModel.metadata` holds only the areas imported so far: code that reads every table
    (an export, an erasure, a schema check) asks `load_all()` for it, or it would miss some."""
    root = Path(fabdesk.models.__file__).parents[2]
    models = root / "fabdesk" / "models"
    offenders = [
        str(path.relative_to(root))
        for folder in ("fabdesk", "inventory", "scheduling", "kiosk", "tests", "benchmarks")
        for path in (root / folder).rglob("*.py")
        if models not in path.parents
        and path != Path(__file__)
        and "SQLModel.metadata" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
