"""Fixtures for the copier hook tests."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HOOKS_DIR = Path(__file__).resolve().parents[2] / "hooks"


@pytest.fixture(scope="session")
def post_gen() -> ModuleType:
    """hooks/post_gen.py loaded by path: hooks/ is run by copier, not imported as a package."""
    path = HOOKS_DIR / "post_gen.py"
    spec = importlib.util.spec_from_file_location("post_gen", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before executing, as importlib documents: dataclasses looks the module up.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
