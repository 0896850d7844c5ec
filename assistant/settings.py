"""archive-chat's one settings object, grouped by who reads them: the store's (`vectorstore.settings`), the
answer's and the chat UI's. Defaults here, ARCHIVE_CHAT_* in the env, CLI options on top (`assistant.cli`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from vectorstore.settings import StoreSettings


class AnswerSettings(BaseSettings):
    """What retrieval and the answerers read."""

    model_config = SettingsConfigDict(env_prefix="ARCHIVE_CHAT_", extra="ignore")

    k: int = Field(5, ge=1, le=50, description="Passages an answer draws on.")
    passage_chars: int = Field(1000, ge=0, description="A chunk is handed on widened to whole sentences of at "
                               "least this many characters (the LangChain tutorial's chunk size).")
    answerer: str = Field("extractive", description="Who writes the answer: extractive (offline), or a chat model "
                          "as PROVIDER:MODEL (openai:gpt-4o-mini, ollama:llama3.2, local:smollm2); `--llm` sets it.")
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible or Ollama server.")
    min_evidence: float = Field(0.895, ge=0, le=2, description="Evidence (plus the typed-phrase weight when a phrase "
                                "of the asked type was found) below which the answer is a refusal; chosen by 5-fold "
                                "cross-validation over both dev sets (bench/tune.py).")
    max_question_chars: int = Field(2000, ge=1, description="Longest question accepted.")


class UiSettings(BaseSettings):
    """What the chat UI's server reads."""

    model_config = SettingsConfigDict(env_prefix="ARCHIVE_CHAT_", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface the chat UI listens on (0.0.0.0: every interface).")
    port: int = Field(7860, ge=1, le=65535, description="Port the chat UI listens on.")
    auth: str | None = Field(None, description="USER:PASS required to open the chat UI (none: no password).")


class Settings(UiSettings, AnswerSettings, StoreSettings):
    """Every setting: the store's first, then the answer's, then the UI's."""

    model_config = SettingsConfigDict(env_prefix="ARCHIVE_CHAT_", extra="ignore")


def whole(settings: StoreSettings) -> Settings:
    """The app's settings, given the store's (an archive opened with only those answers with the defaults)."""
    return settings if isinstance(settings, Settings) else Settings(**settings.model_dump(exclude_unset=True))


def default(name: str) -> Any:
    """A setting's default, for a parameter that stands for it (a CLI option, a keyword argument), so the default
    is written once, above."""
    return Settings.model_fields[name].default


def settings_table() -> str:
    """README's settings table, made from the fields above (a test keeps the README equal to it)."""
    rows = ["| read by | setting | default | what |", "| --- | --- | --- | --- |"]
    for group, reader in ((StoreSettings, "store"), (AnswerSettings, "answer"), (UiSettings, "chat UI")):
        for name, field in group.model_fields.items():
            value = "user data folder" if name == "store" else field.default
            rows.append(f"| {reader} | `ARCHIVE_CHAT_{name.upper()}` | {'–' if value is None else f'`{value}`'} | "
                        f"{field.description} |")
    return "\n".join(rows)
