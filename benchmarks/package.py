"""Deployment artefacts: the function's code zip and its dependency layer zip, in bytes.

The layer is measured as the rendered project's `make build` ships it, byte-compiled (its target
figure: the project's layer/Makefile compiles with COMPILE_COMMAND's flags), and beside it
without its bytecode.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .render import Project
from .runtime import COMPILE_COMMAND

# Lambda's architecture names to the manylinux platform tags pip and uv select wheels by.
PLATFORMS = {"arm64": "aarch64-manylinux_2_28", "x86_64": "x86_64-manylinux_2_28"}


@dataclass(frozen=True)
class Layer:
    """A built layer: zip sizes as built (with bytecode) and without it, how it was built and how
    many .pyc it ships, its top-level packages, the requirements it was built from and each
    package's compressed bytes as built."""

    zip_bytes: int
    zip_bytes_no_bytecode: int
    built_by: str  # "layer/Makefile" (the project's own build) or "harness"
    bytecode_files: int
    packages: list[str]
    requirements: list[str]
    package_bytes: dict[str, int]


def zip_tree(source: Path, archive: Path, *, bytecode: bool = False) -> int:
    """Deflate every file under `source` (paths relative to it), leaving out bytecode caches as
    SAM's packaging of a source directory does unless `bytecode`; returns the archive's size."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            is_bytecode = "__pycache__" in relative.parts or path.suffix == ".pyc"
            if (is_bytecode and not bytecode) or not path.is_file():
                continue
            bundle.write(path, relative.as_posix())
    return archive.stat().st_size


def compressed_sizes(archive: Path, depth: int | None = None) -> dict[str, int]:
    """Compressed bytes per member of `archive`, or per path prefix of `depth` components
    (depth 2 of a layer: python/<package>), largest first."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(archive) as bundle:
        for info in bundle.infolist():
            key = info.filename if depth is None else "/".join(info.filename.split("/")[:depth])
            sizes[key] = sizes.get(key, 0) + info.compress_size
    return dict(sorted(sizes.items(), key=lambda item: (-item[1], item[0])))


def function_zip(project: Project, workdir: Path) -> int:
    return zip_tree(project.path / "src", workdir / f"{project.trigger}-function.zip")


def layer_requirements(project: Project, uv: Path) -> list[str]:
    """The rendered project's own `make layer/requirements.txt` (uv.lock minus what the runtime
    provides), with our uv on PATH so the project's Makefile need not bootstrap its own; the
    requirements only (`name==version`), without the `--hash` options of each."""
    env = dict(os.environ, PATH=f"{uv.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run(
        ["make", "--no-print-directory", "layer/requirements.txt"],
        cwd=project.path,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return pinned_requirements((project.path / "layer" / "requirements.txt").read_text())


def pinned_requirements(text: str) -> list[str]:
    """The requirements of a requirements file uv exported, without comments, options or the
    `--hash` continuation lines that follow each requirement ("pkg==1.0 \\")."""
    lines = (line.split("#", 1)[0].strip().removesuffix("\\").strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def top_level_packages(site: Path) -> list[str]:
    names = set()
    for entry in site.iterdir():
        if entry.name.startswith(".") or entry.name in {"__pycache__", "bin"}:
            continue
        if entry.name.endswith((".dist-info", ".egg-info", ".pth")):
            continue
        names.add(entry.name.split(".")[0] if entry.is_file() else entry.name)
    return sorted(names)


def _install_layer(project: Project, uv: Path, python: Path, build: Path) -> str:
    """Fills build/python as the project's `sam build` does; returns how: `layer/Makefile` (the
    project's own BuildMethod: makefile build, run as sam runs it) or, for a project without
    one, `harness` (binary wheels for Lambda's platform, then COMPILE_COMMAND)."""
    makefile = project.path / "layer" / "Makefile"
    if makefile.exists():
        subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-C",
                str(makefile.parent),
                "build-DependencyLayer",
                f"ARTIFACTS_DIR={build}",
                f"UV={uv}",
                f"PYTHON={python}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return "layer/Makefile"
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--target",
            str(build / "python"),
            "--python-platform",
            PLATFORMS[project.architecture],
            "--python-version",
            project.python_version,
            "--only-binary",
            ":all:",
            "-r",
            str(project.path / "layer" / "requirements.txt"),
        ],
        check=True,
    )
    subprocess.run([str(python), *COMPILE_COMMAND, str(build / "python")], check=True)
    return "harness"


def build_layer(project: Project, uv: Path, python: Path, workdir: Path) -> Layer:
    """Builds the project's dependency layer as `sam build` would (see _install_layer; `python`
    is of the project's Python version and compiles the bytecode) and zips it twice: as built,
    and without its bytecode. Triggers whose layer would be the same share one build."""
    requirements = layer_requirements(project, uv)
    makefile = project.path / "layer" / "Makefile"
    recipe = makefile.read_text() if makefile.exists() else ""
    key = hashlib.sha256(
        "\n".join([project.architecture, project.python_version, recipe, *requirements]).encode()
    ).hexdigest()[:16]
    archive = workdir / f"layer-{key}.zip"
    plain = workdir / f"layer-{key}-no-bytecode.zip"
    build = workdir / f"layer-{key}"
    how_file = workdir / f"layer-{key}.built-by"
    if not (archive.exists() and plain.exists() and how_file.exists()):
        if build.exists():
            shutil.rmtree(build)
        how_file.write_text(_install_layer(project, uv, python, build))
        # uv's lock file for the target directory: no part of what sam build would ship.
        (build / "python" / ".lock").unlink(missing_ok=True)
        zip_tree(build, plain)
        zip_tree(build, archive, bytecode=True)
    return Layer(
        zip_bytes=archive.stat().st_size,
        zip_bytes_no_bytecode=plain.stat().st_size,
        built_by=how_file.read_text(),
        bytecode_files=sum(1 for _ in (build / "python").rglob("*.pyc")),
        packages=top_level_packages(build / "python"),
        requirements=requirements,
        package_bytes={
            name.removeprefix("python/"): size
            for name, size in compressed_sizes(archive, depth=2).items()
        },
    )
