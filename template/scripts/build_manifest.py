"""Write or check the manifest of what `make build` built: the sha256 of every file under
.aws-sam/build, so that what is deployed to prod is byte for byte what was deployed to dev.

`make build` writes `.aws-sam/build.sha256` (one `<sha256>  <path>` line per file, sorted by
path: the format `sha256sum --check` reads). `make verify-build`, and with it `make deploy`,
checks the built tree against it and fails on any file changed, missing or added. The deploy
workflow's build job publishes the manifest's own sha256 as a job output; the deploy jobs pass it
in `BUILD_MANIFEST_SHA256`, so a manifest swapped together with the files is refused too.

Files are read the way SAM CLI's checksum of a directory reads them (symbolic links followed,
paths relative to the directory), which is the S3 key `sam deploy` uploads the code to.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

BUILD_DIR = Path(".aws-sam/build")
MANIFEST = Path(".aws-sam/build.sha256")
SHA256_HEX_DIGITS = 64
SHOWN = 20  # differences named in a failure; the count says how many there are in all


def digests(root: Path) -> dict[str, str]:
    """The sha256 of every file under `root`, by its POSIX path relative to `root`."""
    if not root.is_dir():
        raise SystemExit(f"{root} does not exist: run 'make build' first")
    found: dict[str, str] = {}
    for directory, _, files in root.walk(follow_symlinks=True):
        for name in files:
            path = directory / name
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def render(files: dict[str, str]) -> str:
    """The manifest's text: `<sha256>  <path>` lines, sorted by path."""
    return "".join(f"{files[path]}  {path}\n" for path in sorted(files))


def parse(text: str) -> dict[str, str]:
    """The digests a manifest lists, by path."""
    listed: dict[str, str] = {}
    for line in text.splitlines():
        digest, separator, path = line.partition("  ")
        if not separator or len(digest) != SHA256_HEX_DIGITS:
            raise SystemExit(f"not a manifest line: {line!r}")
        listed[path] = digest
    return listed


def differences(listed: dict[str, str], found: dict[str, str]) -> list[str]:
    """Every path whose file is not the one the manifest lists, saying how it differs."""
    return [
        f"{'missing' if path not in found else 'added' if path not in listed else 'changed'}: "
        f"{path}"
        for path in sorted(listed.keys() | found.keys())
        if listed.get(path) != found.get(path)
    ]


def write(root: Path, manifest: Path) -> None:
    """Write the manifest of `root` and print its own sha256."""
    text = render(digests(root))
    manifest.write_text(text, encoding="utf-8")
    print(f"{manifest}: {text.count(chr(10))} files, sha256 {sha256(text)}")


def check(root: Path, manifest: Path, manifest_sha256: str | None) -> None:
    """Exit with an error unless `root` holds exactly the files the manifest lists."""
    if not manifest.is_file():
        raise SystemExit(f"{manifest} does not exist: run 'make build' first")
    text = manifest.read_text(encoding="utf-8")
    if manifest_sha256 is not None and sha256(text) != manifest_sha256.strip().lower():
        raise SystemExit(
            f"{manifest} has sha256 {sha256(text)}, but the build published {manifest_sha256}"
        )
    listed = parse(text)
    wrong = differences(listed, digests(root))
    if wrong:
        shown = "\n  ".join(wrong[:SHOWN])
        raise SystemExit(
            f"{root} is not what was built ({len(wrong)} of {len(listed)} files differ):\n  {shown}"
        )
    print(f"{root}: all {len(listed)} files as built (sha256 {sha256(text)})")


def sha256(text: str) -> str:
    """The sha256 of a manifest's text, as `sha256sum` prints it for the file."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write or check the manifest of .aws-sam/build.")
    parser.add_argument("action", choices=["write", "check"])
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument(
        "--manifest-sha256", help="check: the manifest's own sha256, as the build published it"
    )
    arguments = parser.parse_args(argv)
    if arguments.action == "write":
        write(arguments.build_dir, arguments.manifest)
    else:
        check(arguments.build_dir, arguments.manifest, arguments.manifest_sha256)


if __name__ == "__main__":
    main(sys.argv[1:])
