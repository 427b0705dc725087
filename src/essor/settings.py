"""The one settings class. Every field is an ``ESSOR_*`` environment variable (or a ``.env`` line).

``docs/settings.md`` documents each field; a test fails when a field is undocumented.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESSOR_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development, test or production")
    data_dir: Path = Field(Path("essor-data"), description="where the database and index live")
    database_url: str = Field("", description="SQLAlchemy URL; default: SQLite in data_dir")
    secret_key: str = Field(DEFAULT_SECRET, description="signs sessions; must be set in production")
    max_upload_bytes: int = Field(50 * 1024 * 1024, description="largest file ingest accepts")
    parse_timeout_seconds: float = Field(
        20.0, description="longest time one file may take to parse"
    )
    chunk_max_tokens: int = Field(256, description="embedding-window size a chunk must fit")
    bm25_k1: float = Field(0.9, description="BM25 term-frequency saturation (Lucene's value)")
    bm25_b: float = Field(0.75, description="BM25 length normalisation of chunks")
    bm25_doc_b: float = Field(
        0.5, description="BM25 length normalisation of whole documents (lengths vary far more)"
    )
    title_weight: float = Field(0.5, description="weight of the title in a document's score")
    doc_weight: float = Field(0.5, description="weight of the whole-document score in ranking")
    dense: bool | None = Field(
        None,
        description=(
            "add MiniLM dense vectors to BM25 for chunks that have them (`essor embed`); "
            "unset: on when the 'dense' extra is installed"
        ),
    )
    dense_weight: float = Field(
        1.0, description="weight of the dense cosine beside the best-normalised BM25 score"
    )
    store_question_text: bool = Field(
        False, description="keep the text of questions in usage events (off: only counts)"
    )
    abstain_threshold: float = Field(0.35, description="minimum evidence strength to answer")
    answer_max_sentences: int = Field(4, description="most sentences an extractive answer quotes")
    host: str = Field("127.0.0.1", description="address the web server binds")
    port: int = Field(8000, description="port the web server binds")
    trusted_header: str = Field(
        "",
        description="header a reverse proxy sets to the signed-in person's email "
        "(e.g. X-Forwarded-Email); empty: not used",
    )
    trusted_proxies: str = Field(
        "",
        description="comma-separated IPs of reverse proxies whose forwarded headers are "
        "believed; empty: none",
    )
    session_days: int = Field(14, ge=1, description="days a web sign-in lasts before it expires")
    signin_max_failures: int = Field(
        5, ge=1, description="failed sign-ins per email or per IP allowed within the window"
    )
    signin_window_minutes: int = Field(
        15, ge=1, description="minutes over which failed sign-ins are counted"
    )
    oidc_issuer: str = Field(
        "",
        description="OpenID Connect issuer URL, exactly as the provider names itself (its "
        "discovery document is at ISSUER/.well-known/openid-configuration); empty: no single "
        "sign-on",
    )
    oidc_client_id: str = Field(
        "", description="client id Essor is registered with at the provider"
    )
    oidc_client_secret: SecretStr = Field(
        SecretStr(""), description="client secret from the provider; never logged or shown"
    )
    oidc_provider_name: str = Field("SSO", description="provider name on the sign-in button")
    oidc_redirect_url: str = Field(
        "",
        description="redirect URL registered at the provider; empty: this site's address "
        "+ /signin/oidc/callback",
    )

    llm_base_url: str = Field(
        "",
        description="base URL of an OpenAI-compatible chat-completions server (e.g. "
        "https://api.openai.com/v1); empty: no language model, answers stay extractive",
    )
    llm_model: str = Field("", description="model (or Azure deployment) name sent to the server")
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the language model; never logged or shown"
    )
    llm_api_style: Literal["openai", "azure"] = Field(
        "openai", description="openai (Bearer key) or azure (api-key header and api-version)"
    )
    llm_azure_api_version: str = Field(
        "2024-10-21", description="api-version query parameter sent when the style is azure"
    )
    llm_timeout_seconds: float = Field(
        60.0, gt=0, description="longest wait to connect to, or hear from, the model server"
    )
    llm_max_retries: int = Field(
        2, ge=0, description="retries after a 429, a 5xx or a connection error (with backoff)"
    )
    llm_unsupported: Literal["mark", "remove"] = Field(
        "mark",
        description="what to do with a generated sentence its cited sources do not support: "
        "mark it in the answer, or remove it",
    )

    # Rollout and adoption analytics (definitions in docs/metrics.md).
    pilot_min_sceptic_share: float = Field(
        0.20, ge=0.0, le=1.0, description="share of sceptics below which a pilot cohort is flagged"
    )
    privacy_min_group_size: int = Field(
        5, ge=3, description="smallest group whose figures are shown (never below 3)"
    )
    breadth_threshold: float = Field(
        0.10, ge=0.0, le=1.0, description="depth a department needs to count towards breadth"
    )
    diversity_min_runs: int = Field(
        10, ge=1, description="runs in the period for a workflow to count towards diversity"
    )
    diversity_min_people: int = Field(
        3, ge=1, description="distinct people in the period for a workflow to count"
    )
    event_retention_days: int = Field(
        730, ge=30, description="days usage events are kept before the purge deletes them"
    )
    question_text_retention_days: int = Field(
        30, ge=1, description="days stored question text is kept before the purge blanks it"
    )
    evidence_max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1,
        description="largest readiness evidence file a checklist item accepts (bytes)",
    )
    alert_unhelpful_share: float = Field(
        0.30,
        ge=0.0,
        le=1.0,
        description="share of a workflow's feedback marked unhelpful that raises a dashboard alert",
    )
    alert_min_feedback: int = Field(
        5, ge=1, description="feedback (helpful or not) a workflow needs before that alert"
    )
    alert_abstention_share: float = Field(
        0.30,
        ge=0.0,
        le=1.0,
        description="share of a workflow's runs that abstained that raises a dashboard alert",
    )
    alert_min_runs: int = Field(
        10, ge=1, description="runs a workflow needs in the period before the abstention alert"
    )
    budget_currency: str = Field(
        "EUR",
        min_length=3,
        max_length=3,
        description="ISO 4217 currency of budget cost lines and projections (e.g. EUR, USD)",
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("ESSOR_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'essor.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Forget the cached settings (the environment changed, e.g. in a test or the CLI)."""
    get_settings.cache_clear()
