from pathlib import Path

import pytest
from pydantic import ValidationError

from essor.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"`ESSOR_{n.upper()}`" not in text]
    assert missing == []


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSOR_ENVIRONMENT", "production")
    monkeypatch.delenv("ESSOR_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="ESSOR_SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("ESSOR_SECRET_KEY", "a-real-secret-of-some-length")
    assert Settings(_env_file=None).environment == "production"  # type: ignore[call-arg]


def test_database_url_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert s.effective_database_url == f"sqlite:///{(tmp_path / 'essor.db').resolve()}"
