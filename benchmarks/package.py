"""Deployment artefacts: the function's code zip and its dependency layer zip, in bytes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .render import Project

# Lambda's architecture names to the manylinux platform tags pip and uv select wheels by.
PLATFORMS = {"arm64": "aarch64-manylinux_2_28", "x86_64": "x86_64-manylinux_2_28"}


@dataclass(frozen=True)
class Layer:
    zip_bytes: int
    packages: list[str]
    requirements: list[str]


def zip_tree(source: Path, archive: Path) -> int:
    """Deflate every file under `source` (paths relative to it), leaving out bytecode caches as
    SAM's packaging of a source directory does; returns the archive's size."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if "__pycache__" in relative.parts or path.suffix == ".pyc" or not path.is_file():
                continue
            bundle.write(path, relative.as_posix())
    return archive.stat().st_size


def function_zip(project: Project, workdir: Path) -> int:
    return zip_tree(project.path / "src", workdir / f"{project.trigger}-function.zip")


def layer_requirements(project: Project, uv: Path) -> list[str]:
    """The rendered project's own `make layer/requirements.txt` (uv.lock minus what the runtime
    provides), with our uv on PATH so the project's Makefile need not bootstrap its own."""
    env = dict(os.environ, PATH=f"{uv.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run(
        ["make", "--no-print-directory", "layer/requirements.txt"],
        cwd=project.path,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines = (project.path / "layer" / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def top_level_packages(site: Path) -> list[str]:
    names = set()
    for entry in site.iterdir():
        if entry.name.startswith(".") or entry.name in {"__pycache__", "bin"}:
            continue
        if entry.name.endswith((".dist-info", ".egg-info", ".pth")):
            continue
        names.add(entry.name.split(".")[0] if entry.is_file() else entry.name)
    return sorted(names)


def build_layer(project: Project, uv: Path, workdir: Path) -> Layer:
    """Installs the exported requirements as `sam build` does for `BuildMethod: python3.x`:
    binary wheels for Lambda's platform and Python into python/, then zips that."""
    requirements = layer_requirements(project, uv)
    platform = PLATFORMS[project.architecture]
    key = hashlib.sha256(
        "\n".join([platform, project.python_version, *requirements]).encode()
    ).hexdigest()[:16]
    # Triggers that export the same requirements share one built layer.
    archive = workdir / f"layer-{key}.zip"
    build = workdir / f"layer-{key}"
    if not archive.exists():
        if build.exists():
            shutil.rmtree(build)
        requirements_file = project.path / "layer" / "requirements.txt"
        subprocess.run(
            [
                str(uv),
                "pip",
                "install",
                "--quiet",
                "--target",
                str(build / "python"),
                "--python-platform",
                platform,
                "--python-version",
                project.python_version,
                "--only-binary",
                ":all:",
                "-r",
                str(requirements_file),
            ],
            check=True,
        )
        # uv's lock file for the target directory: no part of what sam build would ship.
        (build / "python" / ".lock").unlink(missing_ok=True)
        zip_tree(build, archive)
    return Layer(
        zip_bytes=archive.stat().st_size,
        packages=top_level_packages(build / "python"),
        requirements=requirements,
    )
