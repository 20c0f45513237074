"""docs/benchmarks.md is written by several benchmarks, each owning one `## ` section; this
replaces one section and leaves the others as they are."""

import platform
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


def cpu_model() -> str:
    """The machine's CPU, as the benchmarks' reports name it."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown"
    for line in lines:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"
