"""Released versions of this template, oldest first: (tag, full commit sha).

tests/test_update.py updates a project rendered from the last release here to the working tree,
so every release is tested as the starting point of the next one. Releasing: tag the commit
(annotated, `vX.Y.Z`), push the tag, and add its line here.
"""

from __future__ import annotations

RELEASES: list[tuple[str, str]] = [
    ("v0.1.0", "979cb0626785414fdb49f09fe5819b151280a16c"),
    ("v0.2.0", "0ad82b9f15ceb637de37a7bac9a73dff807d527b"),
]
