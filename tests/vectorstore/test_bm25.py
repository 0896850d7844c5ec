"""This machine's BM25 cache, in both configurations (embedded, and a Chroma server whose every replica keeps its
own index): deleting an article from a big archive is cheap (BM25 tombstones its chunks instead of re-indexing
every one), another handle sees what one wrote, and word forms match."""

from __future__ import annotations

import json

import pytest
from conftest import MODES, another_handle, by_path, consistent

from assistant.retrieve import HybridRetriever
from vectorstore.bm25 import Bm25Index
from vectorstore.bm25_write import FORMAT
from vectorstore.ingest import Ingestor
from vectorstore.store import Archive

STORIES = {
    "ferry.md": "# Ferry strike\n\nThe Lisbon ferry crews struck on Friday over pay and stopped every crossing.\n",
    "orchard.md": "# Orchard frost\n\nA late frost in Kent destroyed most of the cherry blossom this spring.\n",
    "museum.md": "# Museum reopens\n\nThe Turin museum of cinema reopened after a two-year restoration.\n",
}


@pytest.mark.parametrize("archive", MODES, indirect=True)
class TestBm25Cache:
    """The BM25 index in the archive's local folder (in both modes), kept current with the store."""

    def test_delete_tombstones_bm25_and_the_next_ingest_compacts(self, archive, tmp_path, embedder):
        for name, text in STORIES.items():
            (tmp_path / name).write_text(text)
        Ingestor(archive).run([tmp_path / name for name in STORIES], progress=False)
        (ferry,) = by_path(archive)[str(tmp_path / "ferry.md")]
        index_file = archive.folder / "bm25" / "ids.json"
        if archive.url is None:  # embedded: ingest leaves BM25 current (a server's replicas build theirs when asked)
            assert index_file.exists()
        assert [cid for cid, _ in archive.bm25_search("Lisbon ferry crews", 5)]  # current after the first question
        built = index_file.stat().st_mtime_ns

        assert archive.delete_article(ferry)
        assert index_file.stat().st_mtime_ns == built  # not re-indexed: tombstoned, and current with the store
        assert (archive.folder / "bm25" / "deleted.json").exists()
        assert archive.bm25_index().token == archive.version()
        assert set(archive.bm25_index().ids) == consistent(archive)
        other = another_handle(archive, embedder)
        for handle in (archive, other):  # this process, and a new one (on a server: a replica with its own BM25)
            assert handle.bm25_search("Lisbon ferry crews", 5) == []
            assert handle.bm25_search("cherry blossom frost", 5)
            passages = HybridRetriever(archive=handle, k=5).passages("Lisbon ferry strike")
            assert passages and ferry not in {p.article.id for p in passages}
        assert other.bm25_index().token == archive.version()

        (tmp_path / "bridge.md").write_text("# Bridge\n\nThe Porto bridge closed for repairs on Monday.\n")
        Ingestor(archive).run([tmp_path / "bridge.md"], progress=False)
        deleted = archive.folder / "bm25" / "deleted.json"
        if archive.url is None:  # embedded: the ingest compacted it (a server's replica does at its next question)
            assert not deleted.exists()
        assert archive.bm25_index().token == archive.version() and not deleted.exists()
        assert sorted(archive.bm25_index().rows) == sorted(archive.bm25_index().ids) == sorted(consistent(archive))

    def test_a_handle_sees_what_another_handle_wrote(self, archive, tmp_path, embedder):
        """A running app (reader) answers from what a CLI ingest or delete (writer) changed, without a restart."""
        for name, text in STORIES.items():
            (tmp_path / name).write_text(text)
        writer, reader = archive, another_handle(archive, embedder)
        Ingestor(writer).run([tmp_path / "orchard.md"], progress=False)
        retriever = HybridRetriever(archive=reader, k=5)
        assert reader.bm25_search("Lisbon ferry crews", 5) == []

        Ingestor(writer).run([tmp_path / "ferry.md"], progress=False)
        (ferry,) = by_path(writer)[str(tmp_path / "ferry.md")]
        assert reader.bm25_search("Lisbon ferry crews", 5)
        # dense search too is masked by BM25's columns (comments out by default): it must see the new chunks
        assert ferry in {p.article.id for p in retriever.passages("Lisbon ferry strike")}

        writer.delete_article(ferry)
        assert reader.bm25_search("Lisbon ferry crews", 5) == []

    def test_bm25_matches_word_forms_and_rebuilds_an_older_index(self, archive, tmp_path, embedder):
        """A question asking about "a strike" by "a crew" finds "crews ... strikes"."""
        (tmp_path / "ferry.md").write_text("# Ferry\n\nThe Lisbon ferry crews announced strikes over pay.\n")
        Ingestor(archive).run([tmp_path / "ferry.md"], progress=False)
        assert archive.bm25_search("Which crew went on strike?", 5)  # no word in common until stemmed
        version = archive.folder / "bm25" / "version.json"
        version.write_text(json.dumps({"token": archive.version()}))  # an index in an older format (before stemming)
        assert Bm25Index(archive.folder / "bm25").token is None  # stale, not misread
        reader = Archive(archive.settings, embedder)  # the next process on this machine: the same local folder
        assert reader.bm25_search("Which crew went on strike?", 5)  # a reader rebuilt it
        assert json.loads(version.read_text())["format"] == FORMAT
