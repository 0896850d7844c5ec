"""Ingest side of archive-chat: load → clean → chunk → embed → store."""
