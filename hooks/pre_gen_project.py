"""cookiecutter pre-generation hook: copier validates the answers before anything is written."""

import json
import os
import sys
from pathlib import Path

CONTEXT = json.loads(r"""{{ cookiecutter | jsonify }}""")
# cookiecutter keeps a local template path as given; the hook runs in the project directory, so a
# relative path is resolved against the directory cookiecutter was started from.
TEMPLATE = Path(os.environ.get("PWD", "."), CONTEXT["_repo_dir"]).resolve()
CONTEXT["_repo_dir"] = str(TEMPLATE)
sys.path.insert(0, str(TEMPLATE / "hooks"))

from cookiecutter_bridge import validate  # noqa: E402

sys.exit(validate(CONTEXT))
