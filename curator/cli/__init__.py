"""The ``curator`` command. Thin: parse options, call a stage, print its report."""

from __future__ import annotations

from curator.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
