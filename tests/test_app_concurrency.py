"""Twenty chat sessions at once while the Archive tab re-ingests an article they are asking about (issue 7)."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import pytest  # noqa: E402
from conftest import REALTIMEQA, free_port, fresh_archive  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

from assistant import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.ui import blocks  # noqa: E402
from vectorstore.article import Article, Chunk  # noqa: E402
from vectorstore.ingest import Ingestor  # noqa: E402
from vectorstore.store import Archive  # noqa: E402

SESSIONS = 20
NEWS = 2
FESTIVALS = ["Zorblax", "Quenmir", "Tavrosk", "Ulmendra", "Brevnik", "Castolen", "Draxwell", "Elvorin", "Fennuk",
             "Gorvath", "Hesperil", "Ixtaran", "Jorvund", "Kelmoth", "Lumbrake", "Morvelle", "Nistrad", "Opravin",
             "Pellucor", "Rhosvane"]
TOWNS = ["Aldmere", "Brackwater", "Corvally", "Dunholt", "Eskerby", "Felsham", "Gildport", "Harrowdale", "Ilsington",
         "Jessamy", "Kilbrook", "Lowenby", "Marrowick", "Nethercombe", "Oakhurst", "Pendleby", "Quarrington",
         "Redmarsh", "Silverhithe", "Thornbury"]
MAYORS = ["Ilse Varga", "Tomas Reed", "Anika Holm", "Piotr Lasko", "Mara Quint", "Oskar Brandt", "Lena Voss",
          "Emil Stroud", "Ruth Calder", "Nils Ekdahl", "Greta Moll", "Jonas Fahl", "Sofia Renn", "Karl Imhof",
          "Vera Dunst", "Hugo Lind", "Alma Kress", "Felix Orme", "Ines Wald", "Otto Berg"]
LIGHTHOUSE_URL = "https://example.org/varnholm-lighthouse"
LIGHTHOUSE_QUESTION = "What colour did the Varnholm lighthouse beam shine?"
COLOURS = ("amber", "violet")
WHOLE_READS = 50  # reads that must see the whole article while it is rewritten


def festival(i: int) -> dict:
    """Session i's own article: the answer to its first question and, through it, to its follow-up."""
    name, town, mayor, visitors = FESTIVALS[i], TOWNS[i], MAYORS[i], 1000 + 137 * i
    return {"url": f"https://example.org/festival/{name.lower()}", "title": f"The {name} festival",
            "date": "2021-03-04", "source": "example.org",
            "text": f"The {name} festival in {town} was opened on 3 March 2021 by mayor {mayor}, who cut a ribbon of "
                    f"reeds.\n\nMore than {visitors} visitors came to the {name} festival in {town}, organisers said. "
                    f"Stalls sold bread, cheese and cider from the valley farms."}


def lighthouse(colour: str) -> dict:
    """One version of a long article: every sentence names its version's colour, so each chunk shows which it is."""
    places = ["harbour", "north reef", "fishing fleet", "ferry lane", "salt marsh", "old quay", "sandbar", "cliffs"]
    text = " ".join(
        f"Entry {j}: on night {j} of the winter watch the Varnholm lighthouse beam shone {colour} over the "
        f"{places[j % len(places)]}, and the keepers noted the {colour} light in the log for the {j}th time."
        + ("\n\n" if j % 10 == 9 else "")
        for j in range(40)
    )
    return {"url": LIGHTHOUSE_URL, "title": "Varnholm lighthouse log", "date": "2021-02-01", "source": "example.org",
            "text": text}


def colours_seen(panel: str) -> set[str]:
    return {c for c in COLOURS if c in panel}


@pytest.fixture
def store(tmp_path, embedder) -> Archive:
    seed = tmp_path / "seed.jsonl"
    seed.write_text("".join(json.dumps(r) + "\n" for r in [*map(festival, range(SESSIONS)), lighthouse("amber")]))
    archive = fresh_archive(tmp_path, embedder)
    assert Ingestor(archive).run([seed], progress=False).added == SESSIONS + 1
    return archive


def test_twenty_sessions_during_an_ingest(store, tmp_path):
    # The upload: news articles before and after a changed lighthouse log, so the change lands mid-ingest.
    with (REALTIMEQA / "articles.jsonl").open() as src:
        news = [next(src) for _ in range(NEWS)]
    uploads = [tmp_path / "client" / name for name in ("news-1.jsonl", "lighthouse.jsonl", "news-2.jsonl")]
    uploads[0].parent.mkdir()
    uploads[0].write_text("".join(news[: NEWS // 2]))
    uploads[1].write_text(json.dumps(lighthouse("violet")) + "\n")
    uploads[2].write_text("".join(news[NEWS // 2:]))

    demo = blocks.build_app(Assistant(store))
    port = free_port()
    blocks.launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    asked, ingest_done = threading.Barrier(SESSIONS + 1), threading.Event()

    def ask(client: Client, question: str) -> tuple[str, str]:
        """The session's next answer: its own part of the transcript, and the evidence panel."""
        _, transcript, panel, _ = client.predict(question, "", "", [], False, 5, api_name="/respond")
        last = transcript.rsplit('<section class="turn', 1)[-1]
        assert "⚠️" not in last, last
        return last, panel

    def session(i: int) -> dict:
        client = Client(url, verbose=False, download_files=False)
        chat, panel = ask(client, f"Who opened the {FESTIVALS[i]} festival in {TOWNS[i]}?")
        assert MAYORS[i] in chat
        chat, panel = ask(client, "And how many visitors came?")  # needs this session's first question
        follow_up = (chat, panel)
        chat, panel = ask(client, LIGHTHOUSE_QUESTION)
        before = colours_seen(panel)
        asked.wait(timeout=300)
        during = []
        while not ingest_done.is_set() and len(during) < 3:
            chat, panel = ask(client, LIGHTHOUSE_QUESTION)
            during.append(colours_seen(panel))
        assert ingest_done.wait(timeout=300), "the ingest never ended"
        chat, panel = ask(client, LIGHTHOUSE_QUESTION)
        exported = client.predict(api_name="/export_json")
        questions = [t["question"] for t in json.loads(Path(exported["value"]["path"]).read_text())]
        return {"follow_up": follow_up, "before": before, "during": during, "after": colours_seen(panel),
                "questions": questions}

    try:
        with ThreadPoolExecutor(SESSIONS) as pool:
            futures = [pool.submit(session, i) for i in range(SESSIONS)]
            asked.wait(timeout=300)
            try:
                report, *_ = Client(url, verbose=False, download_files=False).predict(
                    [handle_file(u) for u in uploads], api_name="/ingest")
            finally:
                ingest_done.set()
            results = [f.result() for f in futures]
    finally:
        demo.close()

    assert [row[1].split(",")[:2] for row in report["data"]] == [
        [f"added {NEWS // 2}", " updated 0"], ["added 0", " updated 1"], [f"added {NEWS - NEWS // 2}", " updated 0"]]
    check_sessions(results)


def check_sessions(results: list[dict]) -> None:
    """Each session kept its own conversation, and saw the old version, then the new, never a mix."""
    assert len(results) == SESSIONS
    for i, r in enumerate(results):
        bubble, panel = r["follow_up"]
        assert str(1000 + 137 * i) in bubble and f"The {FESTIVALS[i]} festival" in panel, (i, bubble)
        assert r["questions"][:2] == [f"Who opened the {FESTIVALS[i]} festival in {TOWNS[i]}?",
                                      "And how many visitors came?"]
        assert set(r["questions"][2:]) == {LIGHTHOUSE_QUESTION}
        assert r["before"] == {"amber"} and r["after"] == {"violet"}
        assert all(len(seen) == 1 for seen in r["during"]), r["during"]  # one version per answer, never a mix
    during = sum(len(r["during"]) for r in results)
    assert during > 0, "no session was answered while the ingest ran: the test above checked nothing"
    print("answers during the ingest:", during,
          "versions seen:", {c for r in results for seen in r["during"] for c in seen})


def test_writes_never_show_readers_half_an_article(tmp_path, embedder, monkeypatch):
    """Chats read while the Archive tab rewrites an article: each read sees all of one version, never a part or
    a mix (a new version's chunks have new ids, and its record commits them)."""
    # As in the app: the folder served (so BM25's rebuild child reaches it), BM25 catching up in the background.
    reader = Archive(Settings(store=tmp_path / "store"), embedder, serving=True)
    assert reader.version() == ""  # opened first, as the app opens it: served, so BM25's rebuild child reaches it
    writer = Archive(reader.settings, embedder)
    versions = []
    for colour in COLOURS:
        article = Article(text=f"{colour} light " * 100, title="log", url=LIGHTHOUSE_URL)
        versions.append((article, [Chunk(article.id, "body", i, 100 * i, 100 * i + 99, f"{colour} {i}",
                                         article.content_hash) for i in range(4)], b""))
    old = writer.put([versions[0]], {})
    enough, deadline = threading.Event(), time.monotonic() + 600  # the deadline only bounds a hang

    def rewrite() -> None:
        """Rewrite the article, one version then the other, until the reader has seen enough (however fast or
        slow this machine is) or the deadline passes."""
        nonlocal old
        i = 1
        while not enough.is_set() and time.monotonic() < deadline:
            old = writer.put([versions[i % 2]], old)
            i += 1

    thread = threading.Thread(target=rewrite)
    thread.start()
    seen, whole, versions_seen = [], 0, set()
    vector = embedder.embed_query("light")
    try:
        while thread.is_alive():
            rows = reader.passages([cid for cid, _ in reader.dense_search(vector, 8)])
            seen.append((len(rows), {r.text.split(" ")[0] for r in rows.values()}))
            if seen[-1][0] == 4:
                whole, versions_seen = whole + 1, versions_seen | seen[-1][1]
            if whole >= WHOLE_READS and versions_seen == set(COLOURS):
                enough.set()  # reads saw the whole article, in both versions, while it was being rewritten
    finally:
        enough.set()
        thread.join()
        reader.settle()  # no background rebuild outlives the test (it would fail on a removed folder)
    assert {len(v) for n, v in seen if n} == {1}  # never two colours in one read
    # All of a version, or none of it when searched in the instant between a commit and its version bump.
    assert {n for n, _ in seen} <= {0, 4}, seen
    assert whole >= WHOLE_READS and versions_seen == set(COLOURS), (f"{whole} whole reads of {len(seen)} before "
                                                                    "the deadline", seen[-20:])
