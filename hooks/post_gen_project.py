"""cookiecutter post-generation hook: copier renders the project into cookiecutter's directory."""

import json
import sys
from pathlib import Path

CONTEXT = json.loads(r"""{{ cookiecutter | jsonify }}""")
# The template's absolute path, from its Jinja extension: cookiecutter gives a local template's
# path as typed, relative to a directory this process (run in the project directory) cannot know.
TEMPLATE = Path(json.loads(r""" {{ template_dir() | jsonify }} """))
sys.path.insert(0, str(TEMPLATE / "hooks"))

from cookiecutter_bridge import render  # noqa: E402

sys.exit(render(CONTEXT, TEMPLATE, Path.cwd()))
