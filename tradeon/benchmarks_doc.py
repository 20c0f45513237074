"""docs/benchmarks.md is written by several benchmarks, each owning one `## ` section; this
replaces one section and leaves the others as they are."""

import re
from pathlib import Path


def benchmarks_section_replace(*, path: Path, heading: str, text: str) -> None:
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text.rstrip("\n") + "\n\n", current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    path.write_text(updated.rstrip("\n") + "\n")
