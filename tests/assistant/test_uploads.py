"""Uploads into the store: names never become paths, types and sizes are limited, zips are unpacked safely."""

from __future__ import annotations

import re
import threading
import zipfile

import pytest
from conftest import fresh_archive

from assistant import uploads

OUR_NAME = re.compile(r"[A-Za-z0-9_-]+-[0-9a-f]{12}(\.[a-z]+)+")


def test_uploads_are_copied_under_names_of_our_making(tmp_path, monkeypatch):
    src = tmp_path / "in" / "..%2f..%2fevil name;rm -rf.TXT"
    src.parent.mkdir()
    src.write_text("hello")
    dest = uploads.save_upload(src, tmp_path / "uploads")
    assert dest.parent == tmp_path / "uploads" and dest.suffix == ".txt" and dest.read_text() == "hello"
    assert OUR_NAME.fullmatch(dest.name), dest.name
    bad = tmp_path / "in" / "x.exe"
    bad.write_text("x")
    with pytest.raises(ValueError, match="unsupported"):
        uploads.save_upload(bad, tmp_path / "uploads")
    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 0)
    with pytest.raises(ValueError, match="larger"):
        uploads.save_upload(src, tmp_path / "uploads")


def test_zip_members_never_become_paths(tmp_path, monkeypatch):
    """Zip-slip names, absolute and Windows paths, NUL bytes, odd types, nested zips, oversized members."""
    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 1)
    bundle = tmp_path / "client" / "my archive.zip"
    bundle.parent.mkdir()
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("../../escape.txt", "The Quill river flooded Ambry.")
        z.writestr("/etc/absolute.md", "# Ferry\n\nThe ferry ran late.")
        z.writestr("..\\..\\windows.csv", "title,text\nA,b\n")
        z.writestr("nul\x00name.json", '{"text": "x"}')  # zipfile cuts the name at the NUL: no type left
        z.writestr("folder/", "")
        z.writestr("__MACOSX/._escape.txt", "junk")
        z.writestr("tool.exe", "MZ")
        z.writestr("inner.zip", "PK")
        z.writestr("huge.txt", "a" * (2 * 1024 * 1024))  # squeezes to a few KB: only reading it shows the size
    saved, refused = uploads.accept([bundle], tmp_path / "store" / "uploads")
    assert {p.parent for p in saved} == {tmp_path / "store" / "uploads"}
    assert all(OUR_NAME.fullmatch(p.name) for p in saved), [p.name for p in saved]
    assert sorted(p.name.split("-")[0] for p in saved) == ["absolute", "escape", "windows"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        ["my archive.zip", *(p.name for p in saved)])  # nothing written anywhere else
    reasons = dict(refused)
    assert reasons == {"my archive.zip: nul": "unsupported file type '(none)'",
                       "my archive.zip: tool.exe": "unsupported file type '.exe'",
                       "my archive.zip: inner.zip": "unsupported file type '.zip'",
                       "my archive.zip: huge.txt": "larger than 1 MB"}


def test_a_zip_that_unpacks_too_large_stops_there(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNZIPPED_MB", 1)
    bundle = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(5):
            z.writestr(f"part{i}.txt", "b" * (400 * 1024))
    saved, refused = uploads.accept([bundle], tmp_path / "uploads")
    assert len(saved) == 2 and refused == [("bomb.zip: part2.txt", "the zip unpacks to more than 1 MB")]


def test_broken_files_are_lines_not_crashes(tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    missing = tmp_path / "gone.txt"
    good = tmp_path / "good.md"
    good.write_text("# Ferry\n\nThe ferry ran late.")
    saved, refused = uploads.accept([broken, missing, good], tmp_path / "uploads")
    assert [p.suffix for p in saved] == [".md"]
    assert [name for name, _ in refused] == ["broken.zip", "gone.txt"]


def test_ingest_files_streams_running_counts_then_each_file(tmp_path, embedder):
    files = []
    for i in range(2):
        files.append(tmp_path / f"news-{i}.jsonl")
        files[-1].write_text("".join(
            f'{{"title": "Flood {i}{j}", "text": "The river flooded the town of Ambry{i}{j} in May."}}\n'
            for j in range(3)) + "not json\n")
    lock, after = threading.Lock(), []
    archive = fresh_archive(tmp_path, embedder)
    events = list(uploads.ingest_files(archive, files, lock, lambda: after.append(lock.locked()), every=0))
    finished = [(path, s.added, s.failed) for path, s, done in events if done]
    assert finished == [(files[0], 3, 1), (files[1], 3, 1)] and after == [True, True] and not lock.locked()
    running = [(path, s.added) for path, s, done in events if not done]
    assert running == [(files[0], 1), (files[0], 2), (files[0], 3), (files[1], 1), (files[1], 2), (files[1], 3)]
