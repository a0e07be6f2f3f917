"""The quality gate: metric thresholds (`configs/quality-gate.yaml`) that a run must meet."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import configs_dir
from ..errors import ConfigError


def default_gate_path() -> Path:
    return configs_dir() / "quality-gate.yaml"


def gate_paths() -> list[Path]:
    """Every quality gate of the project: configs/quality-gate*.yaml."""
    return sorted(configs_dir().glob("quality-gate*.yaml"))


class Gate(BaseModel):
    """Which dataset and variant the gate judges, and the bounds each metric must respect."""

    model_config = ConfigDict(extra="forbid")

    dataset: str
    variant: str = "hybrid/extractive"
    corpus: str | None = Field(
        None, description="The documents the dataset is about (relative to the repository), if not corpus/."
    )
    half: Literal["tune", "check"] | None = Field(None, description="Only this fixed half of the dataset.")
    min: dict[str, float] = Field(default_factory=dict)
    max: dict[str, float] = Field(default_factory=dict)


@dataclass
class GateResult:
    failures: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_gate(path: str | Path | None = None) -> Gate:
    path = Path(path) if path is not None else default_gate_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"quality gate file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    try:
        return Gate.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc


def check_gate(gate: Gate, metrics: dict[str, float]) -> GateResult:
    """Every bound the metrics break (a metric the run did not produce breaks its bound too)."""
    result = GateResult()
    for name, bound in gate.min.items():
        value = metrics.get(name)
        result.checked.append(name)
        if value is None or value < bound:
            result.failures.append(f"{name} = {_show(value)} is below the minimum {bound}")
    for name, bound in gate.max.items():
        value = metrics.get(name)
        result.checked.append(name)
        if value is None or value > bound:
            result.failures.append(f"{name} = {_show(value)} is above the maximum {bound}")
    return result


def _show(value: float | None) -> str:
    return "missing" if value is None else f"{value:.4f}"
