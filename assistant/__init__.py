"""Question side of archive-chat: retrieve → answer → cite, and evaluation."""

from assistant.ask import Answer, Assistant

__all__ = ["Answer", "Assistant"]
