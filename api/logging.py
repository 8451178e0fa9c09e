"""configure_logging: the only place that attaches log handlers."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler


def configure_logging(kind: str = "cli", level: int = logging.INFO) -> None:
    """CLI: rich handler on stderr. Server: plain lines with time and logger name."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if kind == "cli":
        # stderr: stdout carries machine-readable output (solutions, --json)
        handler: logging.Handler = RichHandler(console=Console(stderr=True), show_path=False,
                                               markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        )
    root.addHandler(handler)
    root.setLevel(level)
