"""cookiecutter pre-generation hook: refuse a used destination or bad answers before any write."""

import json
import sys
from pathlib import Path

CONTEXT = json.loads(r"""{{ cookiecutter | jsonify }}""")
# The template's absolute path, from its Jinja extension: cookiecutter gives a local template's
# path as typed, relative to a directory this process (run in the project directory) cannot know.
TEMPLATE = Path(json.loads(r""" {{ template_dir() | jsonify }} """))
sys.path.insert(0, str(TEMPLATE / "hooks"))

from cookiecutter_bridge import validate  # noqa: E402

sys.exit(validate(CONTEXT, TEMPLATE, Path.cwd()))
