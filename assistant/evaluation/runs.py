"""Run folders: `runs/<timestamp>-<name>/` holding what a run was, its per-question records and reports.

- `run.json`: what was run (dataset, options, settings), written before the first question;
- `results.jsonl`: one record per (variant, question), appended as each is scored, so an interrupted run
  resumes from it;
- `results.json`, `report.md`, `report.html`, `plots/`: written when the run completes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

from ..errors import AssistantError

DEFAULT_RUNS_DIR = Path("runs")


class RunFolderError(AssistantError):
    """A path that is not a usable run folder."""


class RunFolder:
    """One evaluation run on disk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, root: str | Path, name: str) -> RunFolder:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"
        path = Path(root) / f"{stamp}-{slug}"
        suffix = 1
        while path.exists():
            suffix += 1
            path = Path(root) / f"{stamp}-{slug}-{suffix}"
        path.mkdir(parents=True)
        return cls(path)

    @property
    def meta_path(self) -> Path:
        return self.path / "run.json"

    @property
    def records_path(self) -> Path:
        return self.path / "results.jsonl"

    @property
    def results_path(self) -> Path:
        return self.path / "results.json"

    def write_meta(self, meta: dict[str, Any]) -> None:
        _write_json(self.meta_path, meta)

    def meta(self) -> dict[str, Any]:
        if not self.meta_path.is_file():
            raise RunFolderError(f"{self.path} is not a run folder (no run.json)")
        try:
            data = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RunFolderError(f"{self.meta_path}: unreadable: {exc}") from exc
        if not isinstance(data, dict):
            raise RunFolderError(f"{self.meta_path}: expected a JSON object")
        return data

    def append(self, record: dict[str, Any]) -> None:
        """Add one record durably: a run killed right after this call keeps it."""
        with self.records_path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())

    def records(self) -> list[dict[str, Any]]:
        """The records written so far; a last line cut short by a kill is ignored."""
        if not self.records_path.is_file():
            return []
        out = []
        lines = self.records_path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                if number == len(lines):
                    break
                raise RunFolderError(f"{self.records_path}:{number}: corrupt record") from exc
        return out

    def write_results(self, results: dict[str, Any]) -> None:
        _write_json(self.results_path, results)

    def results(self) -> dict[str, Any]:
        """The completed run's results.json."""
        if not self.results_path.is_file():
            if self.meta_path.is_file():
                raise RunFolderError(f"{self.path} has not finished (resume it with --resume {self.path})")
            raise RunFolderError(f"{self.path} is not a run folder (no results.json)")
        try:
            data = json.loads(self.results_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RunFolderError(f"{self.results_path}: unreadable: {exc}") from exc
        return data  # type: ignore[no-any-return]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    temporary.replace(path)
