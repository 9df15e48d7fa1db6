"""What a user does: render, then the rendered repo's own `make install`, `make check`,
`make build` (the real `sam build`, twice: an unchanged rebuild gives the same files) and
`make invoke`, in a fresh virtual environment that the rendered Makefile creates with uv."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN, render
from tests.osv import local_osv
from tests.rendered import make_in

pytestmark = pytest.mark.slow


def test_rendered_repo_installs_and_passes_its_own_checks(tmp_path: Path) -> None:
    project = render(tmp_path / "project", {})
    make = make_in(project)

    make("install")
    assert (project / ".venv").is_dir()
    assert (project / "uv.lock").is_file()

    checks = make("check")
    assert "cfn-lint: 0 findings" in checks
    assert "Failed checks: 0" in checks

    make("build")
    built = project / ".aws-sam" / "build"
    assert (built / "Function" / "order_processor" / "handler.py").is_file()
    # The layer holds what the function imports beyond the runtime: Powertools and pydantic, as
    # exported from uv.lock into layer/requirements.txt. boto3 is used but comes from the Lambda
    # runtime: a second copy in the layer would cost size and could differ from the one the
    # runtime pins.
    requirements = (project / "layer" / "requirements.txt").read_text()
    exported = {line.split("==")[0] for line in requirements.splitlines() if "==" in line}
    assert {"aws-lambda-powertools", "pydantic", "pydantic-core"} <= exported
    assert not {"boto3", "botocore", "s3transfer"} & exported
    layer = built / "DependencyLayer" / "python"
    assert (layer / "aws_lambda_powertools").is_dir()
    assert (layer / "pydantic").is_dir()
    assert (layer / "pydantic_core").is_dir()
    assert not (layer / "boto3").exists()
    assert not (layer / "botocore").exists()
    assert_layer_ships_bytecode(layer, cache_tag="cpython-313")
    # Wheels for the function's platform (arm64 by default), not the build machine's.
    [extension] = (layer / "pydantic_core").glob("_pydantic_core.*.so")
    assert "aarch64-linux-gnu" in extension.name
    assert_every_requirement_is_pinned_with_hashes(requirements)

    # The audit of what was just exported and locked, with pip-audit's pinned release (this
    # environment's) against a local OSV service: every package of the layer is asked about, as
    # locked, and every package asked about is a locked one (the dev tools' too).
    with local_osv() as advisories:
        make(
            "audit",
            f"PIP_AUDIT={VENV_BIN / 'pip-audit'} --cache-dir {tmp_path / 'pip-audit-cache'}",
            f"AUDIT_OSV_URL={advisories.url}",
        )
    locked = {
        (package["name"], package["version"])
        for package in tomllib.loads((project / "uv.lock").read_text())["package"]
        if "version" in package
    }
    layer_requirements = set(re.findall(r"^([\w.-]+)==(\S+)", requirements, flags=re.MULTILINE))
    assert layer_requirements <= set(advisories.queried) <= locked
    assert len(set(advisories.queried)) > len(layer_requirements)

    # Build once, deploy the same bytes: an unchanged rebuild must give the same files, so SAM
    # uploads them under the same S3 keys and nothing new is published.
    first = {code.name: sam_checksum(code) for code in built.iterdir() if code.is_dir()}
    # The function, its layer and the pre-traffic hook (smoke_test is on by default).
    assert set(first) == {"Function", "DependencyLayer", "PreTrafficHook"}
    manifest = project / ".aws-sam" / "build.sha256"
    first_manifest = manifest.read_text()
    assert first_manifest.count("\n") == sum(1 for path in built.rglob("*") if path.is_file())
    make("verify-build")
    make("clean")
    assert not built.exists()
    make("build")
    assert {code.name: sam_checksum(code) for code in built.iterdir() if code.is_dir()} == first
    # Any file that differs, as its lines in the two manifests (sha256 and path).
    assert sorted(set(manifest.read_text().splitlines()) ^ set(first_manifest.splitlines())) == []

    invoked = make("invoke", "EVENT=events/sqs_poison.json")
    assert invoked.count('"itemIdentifier"') == 1
    assert '"itemIdentifier": "c80e8021-a70a-42c7-a470-796e1186f753"' in invoked


def assert_layer_ships_bytecode(layer: Path, cache_tag: str) -> None:
    """Every module of the built layer has its .pyc for the runtime's interpreter (`cache_tag`),
    hash-based and unchecked (PEP 552 flags 0b01: valid whatever the file times after packaging),
    naming its source where Lambda mounts the layer (/opt/python)."""
    sources = sorted(layer.rglob("*.py"))
    assert len(sources) > 100, "the layer holds Powertools and pydantic"
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{cache_tag}.pyc"
        assert compiled.is_file(), f"no bytecode for {source.relative_to(layer)}"
        data = compiled.read_bytes()
        assert int.from_bytes(data[4:8], "little") == 0b01, compiled
        # The code object's file name, marshalled as text (read without unmarshalling, which
        # only the runtime's own interpreter version could do).
        assert f"/opt/python/{source.relative_to(layer)}".encode() in data, compiled


def sam_checksum(directory: Path) -> str:
    """The checksum SAM CLI names a code directory's upload after (`samcli.lib.utils.hash.
    dir_checksum`, called by `zip_folder` in `samcli/lib/package/utils.py`): MD5 over each file's
    path relative to the directory and the MD5 of its contents, in sorted path order."""
    files = sorted(
        os.path.relpath(Path(folder) / name, directory)
        for folder, _, names in os.walk(directory, followlinks=True)
        for name in names
    )
    checksum = hashlib.md5(usedforsecurity=False)
    for relative in files:
        checksum.update(relative.encode())
        contents = hashlib.md5((directory / relative).read_bytes(), usedforsecurity=False)
        checksum.update(contents.hexdigest().encode())
    return checksum.hexdigest()


def assert_every_requirement_is_pinned_with_hashes(requirements: str) -> None:
    """Each requirement of the exported layer/requirements.txt is `name==version` followed by at
    least one `--hash=sha256:` of a locked file, which `uv pip install --require-hashes` needs."""
    entries: list[list[str]] = []
    for line in requirements.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():  # a continuation line of the requirement above
            entries[-1].append(line.strip())
        else:
            entries.append([line.strip()])
    assert len(entries) > 3
    for requirement, *options in entries:
        assert re.fullmatch(r"[A-Za-z0-9._-]+==\S+ \\", requirement), requirement
        hashes = [option.removesuffix(" \\") for option in options]
        assert hashes, f"no hash for {requirement}"
        assert all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", digest) for digest in hashes), hashes
