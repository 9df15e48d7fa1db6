"""cookiecutter entry: the answers cookiecutter collects are rendered by copier from template/.

There is one template tree and one set of question definitions (copier.yml); cookiecutter only
prompts (cookiecutter.json is derived from copier.yml) and hands the answers over. Validation is
copier's own, run before cookiecutter writes anything; the post-generation checks are the same
hooks/post_gen.py task that every copier render runs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from questions import questions

STUB = "COOKIECUTTER_STUB"
MISSING_COPIER = (
    "copier-aws-lambda renders with copier: install it where cookiecutter runs "
    "(pip install 'copier>=9.19,<10') and run cookiecutter again"
)


def copier_answers(context: dict[str, Any]) -> dict[str, Any]:
    """cookiecutter's context without its own keys; copier ignores answers it does not ask."""
    return {name: context[name] for name in questions() if name in context}


def _copier() -> Any:
    try:
        import copier  # noqa: PLC0415 - optional: only present where copier is installed
    except ImportError:
        print(MISSING_COPIER, file=sys.stderr)
        raise SystemExit(1) from None
    return copier


def validate(context: dict[str, Any]) -> int:
    """pre_gen_project: copier checks every answer (a dry run, nothing written anywhere)."""
    copier = _copier()
    with tempfile.TemporaryDirectory() as scratch:
        try:
            copier.run_copy(
                context["_repo_dir"],
                str(Path(scratch) / "dry-run"),
                data=copier_answers(context),
                defaults=True,
                pretend=True,  # validates every answer, writes nothing, runs no task
                unsafe=True,  # copier refuses a template with tasks unless trusted, even dry
                quiet=True,
                vcs_ref="HEAD",
            )
        except ValueError as rejected:
            print(f"copier-aws-lambda: {rejected}", file=sys.stderr)
            return 1
    return 0


def render(context: dict[str, Any], destination: Path) -> int:
    """post_gen_project: render into the directory cookiecutter created, then validate it."""
    copier = _copier()
    (destination / STUB).unlink(missing_ok=True)
    copier.run_copy(
        context["_repo_dir"],
        str(destination),
        data=copier_answers(context),
        defaults=True,
        # Trusted as cookiecutter trusts any template's hooks: runs hooks/post_gen.py.
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    return 0
