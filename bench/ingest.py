"""Ingest throughput: archive-chat (per embedding backend) vs. the LangChain tutorial pipeline a user would write.

Why: archive-chat does more per article than the tutorial (boilerplate cleaning, near-duplicate detection,
token-exact chunking, article records and a BM25 index besides the vectors). This measures what that costs, end to
end, from JSONL files to a store that answers a query, in article characters per second. Each pipeline runs
in its own fresh subprocess, so each pays its imports and model load and peak RSS is per pipeline. After the
clock stops, each archive-chat store answers the corpus's questions (those whose answer is in the sample), so
the int8 backend's speed is shown beside what it does to retrieval (answer_in_context@5). The CPU's model and its
AVX2 / AVX-512 / VNNI flags go beside every result: the int8 speed-up depends on them (bench/README.md).

    python bench/ingest.py [--articles N] [--corpus PATH] [--backends onnx-int8 torch] [--workers 1 2]
                           [--questions PATH]
"""

from __future__ import annotations

import time

START = time.perf_counter()  # before any heavy import: imports and model load count

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / ".." / "shared" / "data" / "realtimeqa-2022q4" / "articles.jsonl"
QUERY = "What did the president say about the economy?"
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")


def cpu_features(cpuinfo: str) -> dict:
    """The first processor's model and the flags that decide int8 speed (VNNI: one instruction per 4-way int8 dot
    product; AVX2 alone needs three), from the text of /proc/cpuinfo."""
    first = cpuinfo.split("\n\n", 1)[0]
    fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    return {"model": fields.get("model name") or platform.processor() or "unknown", "avx2": "avx2" in flags,
            "avx512": "avx512f" in flags, "vnni": bool(flags & {"avx512_vnni", "avx_vnni"})}


def cpu_info() -> dict:
    """This machine's CPU (flags unknown, None, where there is no /proc/cpuinfo)."""
    try:
        return cpu_features(Path("/proc/cpuinfo").read_text())
    except OSError:
        return {"model": platform.processor() or "unknown", "avx2": None, "avx512": None, "vnni": None}


def cpu_flags(cpu: dict) -> str:
    """E.g. "AVX2 yes, AVX-512 yes, VNNI no"."""
    return ", ".join(f"{name} {'?' if cpu[key] is None else 'yes' if cpu[key] else 'no'}"
                     for name, key in (("AVX2", "avx2"), ("AVX-512", "avx512"), ("VNNI", "vnni")))


def run_ours(corpus: Path, store: Path, backend: str) -> tuple[int, Any]:
    """archive-chat as its CLI runs it; returns (chunks stored, the archive)."""
    sys.path.insert(0, str(ROOT))
    from assistant.settings import Settings
    from vectorstore.ingest import Ingestor
    from vectorstore.store import Archive

    archive = Archive(Settings(store=store, embed_backend=backend))
    Ingestor(archive).run([corpus], progress=False)
    if not archive.dense_search(archive.embedder.embed_query(QUERY), 1) or not archive.bm25_search(QUERY, 1):
        raise SystemExit("archive-chat store is not queryable")
    return archive.stats()["chunks"], archive


def answer_in_context(archive: Any, corpus: Path, questions: Path, k: int = 5) -> dict:
    """answer_in_context@k (as bench/quality.py and `archive-chat eval` compute it, the question's date as as-of)
    over the questions that the sample can answer: a labelled source article in the sample holds the answer (any
    sampled article, for questions without sources)."""
    from assistant.ask import Assistant
    from assistant.eval.metrics import contains, summarize
    from assistant.eval.questions import read_questions
    from assistant.eval.run import evaluate_one

    with corpus.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    by_url = {r.get("url"): r.get("text") or "" for r in records}

    def answerable(q: Any) -> bool:
        texts = [by_url[u] for u in q.sources if u in by_url] if q.sources else by_url.values()
        return bool(q.answers) and any(contains(text, q.answers) for text in texts)

    asked = [q for q in read_questions(questions, lambda _: None) if answerable(q)]
    assistant = Assistant(archive)
    records = [evaluate_one(assistant, q, k) for q in asked]
    return {"questions": len(asked), "answer_in_context_at_5": summarize(records, k)["answer_in_context_at_k"]}


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


def child(which: str, corpus: Path, backend: str, questions: Path | None) -> None:
    """One pipeline in this process; prints its result as one JSON line."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{which}-") as tmp:
        if which == "ours":
            chunks, archive = run_ours(corpus, Path(tmp), backend)
        else:
            chunks = run_tutorial(corpus, Path(tmp))
        seconds = time.perf_counter() - START
        usage = resource.getrusage(resource.RUSAGE_SELF)  # before the quality pass: it is not part of ingest
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # `--workers N`: the embedding processes
        result = {"chunks": chunks, "seconds": seconds,
                  "cpu_s": usage.ru_utime + usage.ru_stime + workers.ru_utime + workers.ru_stime,
                  "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
                  "load_avg_5min": os.getloadavg()[1]}  # others' work on the box skews `seconds`
        if which == "ours" and questions:
            result.update(answer_in_context(archive, corpus, questions))
    print(json.dumps(result))


def prepare_int8() -> float:
    """Build the int8 model into the user's cache now if it is missing (once per machine), so that no timed run
    pays for it; returns the seconds the build took (0 when cached)."""
    sys.path.insert(0, str(ROOT))
    from vectorstore.embed import Embedder
    from vectorstore.onnx_export import cache_root, fingerprint

    embedder = Embedder(backend="onnx-int8")
    cached = (cache_root() / fingerprint(embedder.path) / "model-int8.onnx").exists()
    started = time.perf_counter()
    embedder.embed_query(QUERY)
    return 0.0 if cached else time.perf_counter() - started


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


def print_table(rows: list[dict], cpu: dict) -> None:
    """One row per pipeline, the CPU flags beside each: ratios compare only within one run."""
    head = ("pipeline", "articles", "article chars", "chunks", "seconds", "chars/s", "ratio", "chunks/s",
            "peak RSS MB", "CPU s", "load 5m", "answer_in_context@5", "CPU flags")
    cells = [(r["pipeline"], f"{r['articles']:,}", f"{r['chars']:,}", f"{r['chunks']:,}", f"{r['seconds']:.1f}",
              f"{r['chars_per_s']:,.0f}", f"{r['ratio']:.2f}", f"{r['chunks_per_s']:.1f}", f"{r['peak_rss_mb']:,.0f}",
              f"{r['cpu_s']:.0f}", f"{r['load_avg_5min']:.2f}",
              f"{r['answer_in_context_at_5']:.3f} of {r['questions']}" if r.get("questions") else "–",
              cpu_flags(r["cpu"]))
             for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *cells, strict=True)]
    for i, line in enumerate([head, *cells]):
        pairs = enumerate(zip(line, widths, strict=True))
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in pairs))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print("ratio: chars/s over the tutorial's, same run")
    print(f"CPU: {cpu['model']} ({cpu_flags(cpu)}); the int8 speed-up depends on VNNI, see bench/README.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="first N records of the corpus; 0 = all")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--backends", nargs="+", default=["onnx-int8", "torch"], choices=("onnx-int8", "torch"),
                        help="archive-chat embedding backends to run (each its own row)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="archive-chat rows per ingest_workers "
                        "value (`archive-chat ingest --workers N`), e.g. 1 2")
    parser.add_argument("--questions", type=Path, help="questions JSONL for the quality column "
                        "(default: questions.jsonl beside the corpus, if any); 'none' to skip")
    parser.add_argument("--_run", choices=("ours", "tutorial", "prepare"), help=argparse.SUPPRESS)
    parser.add_argument("--_backend", default="onnx-int8", help=argparse.SUPPRESS)
    args = parser.parse_args()
    questions = args.questions or args.corpus.resolve().parent / "questions.jsonl"
    questions = questions if questions.name != "none" and questions.exists() else None
    if args._run == "prepare":
        return print(json.dumps({"build_s": prepare_int8()}))
    if args._run:
        return child(args._run, args.corpus, args._backend, questions)

    def subprocess_json(*extra: str, workers: int = 1) -> dict:
        cmd = [sys.executable, __file__, *extra, "--questions", str(questions or "none")]
        env = {**os.environ, "ARCHIVE_CHAT_INGEST_WORKERS": str(workers)}
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
        if done.returncode:
            sys.exit(f"{' '.join(extra)} failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    if "onnx-int8" in args.backends and (built := subprocess_json("--_run", "prepare")["build_s"]):
        print(f"built the int8 ONNX model in {built:.0f} s (once per machine, cached; not in the timings)")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        corpus = Path(tmp) / "articles.jsonl"
        articles, chars = sample(args.corpus.resolve(), args.articles, corpus)
        runs = [(f"archive-chat {b}" + (f" workers {w}" if args.workers != [1] else ""), w,
                 ["--_run", "ours", "--_backend", b]) for b in args.backends for w in args.workers]
        for name, workers, extra in [*runs, ("tutorial", 1, ["--_run", "tutorial"])]:
            result = subprocess_json(*extra, "--corpus", str(corpus), workers=workers)
            secs = result["seconds"]
            rows.append({"pipeline": name, "articles": articles, "chars": chars, **result,
                         "chars_per_s": chars / secs, "chunks_per_s": result["chunks"] / secs})
    tutorial = rows[-1]["chars_per_s"]
    cpu = cpu_info()
    for row in rows:
        row["ratio"] = row["chars_per_s"] / tutorial
        row["cpu"] = cpu

    print_table(rows, cpu)

    out = ROOT / "bench" / "out" / "ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"corpus": str(args.corpus.resolve()), "articles_arg": args.articles, "cpus": os.cpu_count(),
            "workers": args.workers,
            "questions": str(questions) if questions else None}
    out.write_text(json.dumps({**meta, "rows": rows}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
