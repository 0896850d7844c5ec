"""Ingest throughput: archive-chat vs. the LangChain tutorial pipeline a user would write instead.

Why: archive-chat does more per article than the tutorial (boilerplate cleaning, near-duplicate detection,
token-exact chunking, a docstore and a BM25 index besides the vectors). This measures what that costs, end to
end, from JSONL files to a store that answers a query, in article characters per second. Each pipeline runs
in its own fresh subprocess, so both pay their imports and model load and peak RSS is per pipeline.

    python bench/ingest.py [--articles N] [--corpus PATH]      # N=0: the whole corpus
"""

from __future__ import annotations

import time

START = time.perf_counter()  # before any heavy import: imports and model load count

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / ".." / "shared" / "data" / "realtimeqa-2022q4" / "articles.jsonl"
QUERY = "What did the president say about the economy?"
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")


def run_ours(corpus: Path, store: Path) -> int:
    """archive-chat as its CLI runs it; returns the number of chunks stored."""
    sys.path.insert(0, str(ROOT))
    from vectorstore.ingest import Ingestor
    from vectorstore.settings import Settings
    from vectorstore.store import Archive

    archive = Archive(Settings(store=store))
    Ingestor(archive).run([corpus], progress=False)
    if not archive.vectors.search(archive.embedder.embed_query(QUERY), k=1) or not archive.lexical.search(QUERY, 1):
        raise SystemExit("archive-chat store is not queryable")
    return archive.docstore.stats()["chunks"]


def run_tutorial(corpus: Path, store: Path) -> int:
    """The LangChain RAG tutorial: Documents → RecursiveCharacterTextSplitter → HuggingFaceEmbeddings → Chroma."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    sys.path.insert(0, str(ROOT))
    from vectorstore.embed import packaged_model

    with corpus.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    docs = [Document(r["text"], metadata={"url": r.get("url", ""), "title": r.get("title", "")}) for r in records]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    embeddings = HuggingFaceEmbeddings(model_name=str(packaged_model()))
    db = Chroma.from_documents(
        splits, embeddings, persist_directory=str(store), client_settings=ChromaSettings(anonymized_telemetry=False)
    )
    if not db.similarity_search(QUERY, k=1):
        raise SystemExit("tutorial store is not queryable")
    return len(splits)


def child(which: str, corpus: Path) -> None:
    """One pipeline in this process; prints its result as one JSON line."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{which}-") as tmp:
        chunks = (run_ours if which == "ours" else run_tutorial)(corpus, Path(tmp))
        seconds = time.perf_counter() - START
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"chunks": chunks, "seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime,
                      "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
                      "load_avg_5min": os.getloadavg()[1]}))  # others' work on the box skews `seconds`


def sample(corpus: Path, n: int, into: Path) -> tuple[int, int]:
    """The first n records (all if n == 0) into `into`; returns (articles, characters of article text)."""
    articles = chars = 0
    with corpus.open(encoding="utf-8") as src, into.open("w", encoding="utf-8") as dst:
        for line in src:
            if not line.strip():
                continue
            if n and articles >= n:
                break
            dst.write(line)
            articles += 1
            chars += len(json.loads(line).get("text") or "")
    return articles, chars


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="first N records of the corpus; 0 = all")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--_run", choices=("ours", "tutorial"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._run:
        return child(args._run, args.corpus)

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        corpus = Path(tmp) / "articles.jsonl"
        articles, chars = sample(args.corpus.resolve(), args.articles, corpus)
        for name, which in (("archive-chat", "ours"), ("tutorial", "tutorial")):
            cmd = [sys.executable, __file__, "--_run", which, "--corpus", str(corpus)]
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                sys.exit(f"{name} failed:\n{done.stderr[-4000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            secs = result["seconds"]
            rows.append({"pipeline": name, "articles": articles, "chars": chars, **result,
                         "chars_per_s": chars / secs, "chunks_per_s": result["chunks"] / secs})

    head = ("pipeline", "articles", "article chars", "chunks", "seconds", "chars/s", "chunks/s", "peak RSS MB",
            "CPU s", "load 5m")
    cells = [(r["pipeline"], f"{r['articles']:,}", f"{r['chars']:,}", f"{r['chunks']:,}", f"{r['seconds']:.1f}",
              f"{r['chars_per_s']:,.0f}", f"{r['chunks_per_s']:.1f}", f"{r['peak_rss_mb']:,.0f}",
              f"{r['cpu_s']:.0f}", f"{r['load_avg_5min']:.2f}") for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *cells, strict=True)]
    for i, line in enumerate([head, *cells]):
        pairs = enumerate(zip(line, widths, strict=True))
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in pairs))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    ratio = rows[0]["chars_per_s"] / rows[1]["chars_per_s"]
    print(f"ratio (archive-chat / tutorial chars/s): {ratio:.2f}")

    out = ROOT / "bench" / "out" / "ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"corpus": str(args.corpus.resolve()), "articles_arg": args.articles, "cpus": os.cpu_count()}
    out.write_text(json.dumps({**meta, "rows": rows, "ratio_chars_per_s": ratio}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
