from pathlib import Path

import pytest
import yaml

from assistant.config import Settings, configs_dir, load_settings
from assistant.errors import ConfigError


def test_default_yaml_documents_exactly_the_code_defaults(monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    from_yaml = load_settings().model_dump()
    from_code = Settings().model_dump()
    from_yaml.pop("profile"), from_code.pop("profile")
    assert from_yaml == from_code
    # every field appears in the file (so every knob is documented there)
    data = yaml.safe_load((configs_dir() / "default.yaml").read_text())

    def keys(model, prefix=""):
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            key = field.alias or name
            if hasattr(value, "model_fields"):
                yield from keys(value, f"{prefix}{key}.")
            elif name != "profile":
                yield f"{prefix}{key}"

    def flat(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from flat(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}"

    assert set(keys(Settings())) == set(flat(data))


def test_environment_overrides_nested_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "9")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__FUSION__BM25_WEIGHT", "0.25")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.retrieval.top_k == 9
    assert settings.retrieval.fusion.bm25_weight == 0.25
    assert settings.retrieval.fusion.dense_weight == 1.0  # untouched siblings keep their defaults
    assert settings.data_dir == tmp_path and settings.store.path == tmp_path / "chroma"


def test_profile_then_config_file_then_environment(monkeypatch, tmp_path):
    extra = tmp_path / "mine.yaml"
    extra.write_text("store:\n  port: 9100\nretrieval:\n  top_k: 4\n")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "7")
    settings = load_settings(extra, profile="chroma-server")
    assert settings.profile == "chroma-server"
    assert settings.store.mode == "http"
    assert settings.store.port == 9100
    assert settings.retrieval.top_k == 7


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("retrieval:\n  top_k: 0\n", "retrieval.top_k"),
        ("retrieval:\n  topk: 3\n", "topk"),
        ("store: [1, 2\n", "invalid YAML"),
        ("- a list\n", "mapping"),
        ("store:\n  mode: cloud\n", "store.mode"),
    ],
)
def test_bad_configuration_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_unknown_profile_and_missing_file():
    with pytest.raises(ConfigError, match="unknown profile") as raised:
        load_settings(profile="nope")
    # the list of known profiles names the real ones, not the quality gate's bounds file
    assert "openai" in str(raised.value) and "quality-gate" not in str(raised.value)
    with pytest.raises(ConfigError, match="unknown profile 'quality-gate'"):
        load_settings(profile="quality-gate")
    with pytest.raises(ConfigError, match="not found"):
        load_settings(Path("/nonexistent/config.yaml"))
