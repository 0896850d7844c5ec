"""Query latency at scale: how `Assistant.ask`, retrieval alone, start-up and memory grow with the archive.

Why: researchers keep adding to one archive, and an answer has to stay quick at hundreds of thousands of chunks.
The RealTimeQA dev store (bench/out/stores/realtimeqa, built by bench/quality.py) is replicated under new ids to
about 2k, 20k and 200k chunks, reusing its vectors (no re-embedding): article records and chunk vectors copied
in Chroma, BM25 rebuilt. Stores are cached under bench/out/query/stores. Each size is measured in a fresh
process (start-up = imports + opening the store + the first answer), on the embedded store and against a
`chroma run` server started here; in both, 8 threads then ask at once, as a multi-user app would.

    python bench/query.py [--sizes 2000 20000 200000] [--modes embedded server] [--questions N] [--clients 8]
                          [--base bench/out/stores/realtimeqa] [--data ../shared/data] [--rebuild]
"""

from __future__ import annotations

import time

START = time.perf_counter()  # before any heavy import: imports, opening the store and the first answer count

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DATA = ROOT / ".." / "shared" / "data"
QUESTIONS = Path("realtimeqa-2022q4") / "questions.jsonl"  # under --data
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
TARGETS = {"ask_p95_ms": 100.0, "startup_s": 10.0, "rss_mb": 2048.0, "chronology_p95_ms": 300.0}
# Chronology questions about the dev set's news (the stores are its articles): the dated answers' own timing
CHRONOLOGY = ["How did the war in Ukraine develop over time?", "Timeline of Elon Musk's Twitter takeover",
              "How did coverage of inflation change over time?", "How did the FTX collapse unfold?",
              "Trace the coverage of the midterm elections", "How did the World Cup in Qatar unfold?"]


# --- building the stores ----------------------------------------------------------------------------------------

def copy_plan(counts: list[tuple[str, int]], size: int) -> list[tuple[str, str]]:
    """(article id, suffix of its copy) in article order, copy after copy, until `size` chunks are reached."""
    plan: list[tuple[str, str]] = []
    total, copy = 0, 0
    while total < size:
        for article_id, n in counts:
            if total >= size:
                break
            plan.append((article_id, f"x{copy}" if copy else ""))
            total += n
        copy += 1
    return plan


def build(size: int, base: Path, rebuild: bool) -> Path:
    """A store of about `size` chunks made of the base store's articles under new ids, with the base's vectors.

    A torn build resumes: articles already committed are skipped (an article is written after its chunks, and
    chunks are upserted, so a page cut short is written again whole)."""
    from assistant.settings import Settings
    from vectorstore.chroma import PAGE, get, walk
    from vectorstore.store import Archive

    folder = OUT / "query" / "stores" / str(size)
    done = folder / "built.json"  # written last: a store without it is a torn build
    if done.exists() and not rebuild:
        return folder
    started = time.perf_counter()
    if rebuild:
        shutil.rmtree(folder, ignore_errors=True)
    source = Archive(Settings(store=base))
    records = dict(source.records())
    texts = dict(get(source.parts.articles, ["documents"]))
    chunks: dict[str, list[tuple[str, list[float], str, dict]]] = {}
    for page in walk(source.parts.chunks, ["embeddings", "documents", "metadatas"]):
        for cid, vector, text, meta in page:
            chunks.setdefault(meta["article_id"], []).append((cid, vector, text, meta))
    backend = source.embedder.backend
    source.close()  # read: let other processes (an ingest into the base) open it again
    plan = copy_plan(sorted((a, len(c)) for a, c in chunks.items() if a in records), size)
    target = Archive(Settings(store=folder))
    present = {i for page in walk(target.parts.articles, []) for i, in page}
    target.parts.state.upsert(ids=["embedding"], embeddings=[[1.0]], metadatas=[{"backend": backend}])
    pending: list[tuple[str, list[float], str, dict]] = []
    articles: list[tuple[str, str]] = []  # (new id, base id)
    for n, (article_id, suffix) in enumerate(plan):
        new_id = article_id + suffix
        if new_id in present and n != len(plan) - 1:
            continue
        pending += [(new_id + cid[len(article_id):], vector, text, {**meta, "article_id": new_id})
                    for cid, vector, text, meta in chunks[article_id]]
        articles.append((new_id, article_id))
        if len(pending) >= PAGE or n == len(plan) - 1:
            target.parts.chunks.upsert(ids=[c[0] for c in pending], embeddings=[c[1] for c in pending],
                                    documents=[c[2] for c in pending], metadatas=[c[3] for c in pending])
            target.parts.articles.upsert(ids=[a for a, _ in articles], embeddings=[[1.0]] * len(articles),
                                      documents=[texts[b] for _, b in articles],
                                      metadatas=[records[b] for _, b in articles])
            pending, articles = [], []
            print(f"{folder}: {n + 1:,} / {len(plan):,} articles ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)
    target.bump()
    target.refresh_bm25(force=True, wait=True)
    seconds = time.perf_counter() - started
    done.write_text(json.dumps({"articles": len(plan), "chunks": target.parts.chunks.count(),
                                "backend": backend, "seconds": round(seconds)}) + "\n")
    print(f"{folder}: built in {seconds:.0f} s", file=sys.stderr, flush=True)
    target.close()
    return folder


# --- measuring, in a fresh process per store and mode -----------------------------------------------------------

def proc_cpu(pid: int | str = "self") -> float:
    """User + system CPU seconds of a process (Linux /proc), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95 as `archive-chat eval` reports them (nearest rank), so the two benches' numbers compare."""
    from assistant.eval.metrics import percentile

    return float(percentile(values, 50)), float(percentile(values, 95))


def cpu_of(pids: list[int | str]) -> float:
    return sum(proc_cpu(pid) for pid in pids)


def sequential(ask: Callable[[object], object], questions: list, server: int | None) -> dict:
    """p50/p95 wall ms, one question at a time, and the mean and p95 CPU ms per question (this process and the
    server's): on a shared machine CPU time is steadier than wall time (though idle threads that spin count)."""
    walls, cpus = [], []
    for q in questions:
        wall, cpu, server_cpu = time.perf_counter(), time.process_time(), proc_cpu(server) if server else 0.0
        ask(q)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu + (proc_cpu(server) - server_cpu if server else 0.0)) * 1000)
    p50, p95 = percentiles(walls)
    return {"p50_ms": p50, "p95_ms": p95, "cpu_ms": float(np.mean(cpus)), "cpu_p95_ms": percentiles(cpus)[1]}


def concurrent(ask: Callable[[object], object], questions: list, clients: int, pids: list[int | str]) -> dict:
    """`clients` threads asking the questions between them: throughput, p50/p95 wall ms, CPU ms per question."""

    def one(q: object) -> tuple[float, float]:
        started = time.perf_counter()
        ask(q)
        return started - wall, (time.perf_counter() - started) * 1000

    wall, cpu = time.perf_counter(), cpu_of(pids)
    with ThreadPoolExecutor(clients) as pool:
        timeline = list(pool.map(one, questions))
    seconds = time.perf_counter() - wall
    latencies = [ms for _, ms in timeline]
    p50, p95 = percentiles(latencies)
    slowest = sorted(timeline, key=lambda t: -t[1])[:5]  # (seconds into the run, ms): where the tail comes from
    return {"qps": len(questions) / seconds, "p50_ms": p50, "p95_ms": p95,
            "cpu_ms": (cpu_of(pids) - cpu) * 1000 / len(questions),
            "slowest": [[round(at, 2), round(ms)] for at, ms in slowest], "started_s": round(wall - START, 1)}


def measure(store: Path, url: str | None, server_pid: int | None, questions_path: Path, limit: int,
            clients: int) -> dict:
    """Open the store, answer once (start-up), then time ask and retrieval over the dev questions."""
    from assistant.ask import Assistant
    from assistant.settings import Settings
    from vectorstore.store import Archive

    assistant = Assistant(Archive(Settings(store=store, chroma_url=url)))
    assistant.ask("Which airline is suspending service at JFK?", filters={"date": "2022-10-06"})
    startup = {"startup_s": time.perf_counter() - START, "startup_cpu_s": proc_cpu()}

    from assistant.eval.questions import read_questions
    from vectorstore.filters import Filters

    questions = list(read_questions(questions_path, warn=lambda line: print(line, file=sys.stderr)))[:limit or None]
    k = assistant.settings.k

    def retrieve(q) -> object:
        return assistant.retrieve(assistant.plan(q.question, [], Filters.parse(q.filters), k))

    def ask(q) -> object:
        return assistant.ask(q.question, filters=q.filters)

    pids: list[int | str] = ["self", server_pid] if server_pid else ["self"]  # CPU counts the server's too
    row = {**startup, "questions": len(questions), "ask": sequential(ask, questions, server_pid),
           "retrieve": sequential(retrieve, questions, server_pid),
           "chronology": sequential(assistant.ask, CHRONOLOGY * 3, server_pid)}
    row["rss_mb"], row["peak_rss_mb"] = proc_rss_mb()
    row["concurrent"] = concurrent(ask, questions, clients, pids)
    if server_pid:
        row["server_rss_mb"], row["server_peak_rss_mb"] = proc_rss_mb(server_pid)
    if not server_pid:  # in one process, so each stage's CPU is this process's
        from stages import REST, breakdown

        found, mean = breakdown(assistant, questions)
        staged = found.per_question()
        row["stages"] = {"cpu_ms": {**staged, REST: mean - sum(staged.values())}, "total_cpu_ms": mean}
    row["chunks"] = assistant.archive.stats()["chunks"]
    row["embed_backend"] = assistant.archive.embedder.backend
    return row


FRESH = {"title": "Lunar lander instruments", "date": "2022-10-05", "source": "bench", "url": "https://bench.invalid/x",
         "text": "NASA paid $118 million for the lunar lander's science instruments, the agency said on Thursday."}
FRESH_QUESTION = "How much did NASA pay for the lunar lander's science instruments?"


def measure_replica(url: str, questions_path: Path, limit: int, clients: int, fresh: bool) -> dict:
    """A replica as the app runs one: an empty local folder, the archive on the server; start-up to its first
    answer, when its BM25 (built in the background) is ready, then `clients` askers; with `fresh`, how long
    until it cites an article another process just ingested."""
    import tempfile

    from assistant.ask import Assistant
    from assistant.settings import Settings
    from vectorstore.store import Archive

    folder = Path(tempfile.mkdtemp(prefix="replica-"))
    archive = Archive(Settings(store=folder, chroma_url=url), serving=True)  # caches refresh in the background
    assistant = Assistant(archive)
    assistant.warm()  # as the app does
    assistant.ask("Which airline is suspending service at JFK?", filters={"date": "2022-10-06"})
    row = {"startup_s": time.perf_counter() - START, "startup_cpu_s": proc_cpu()}
    print(f"replica: first answer {row['startup_s']:.1f} s after start", file=sys.stderr, flush=True)
    while archive.bm25_index().token != archive.version():
        time.sleep(0.2)
    row["bm25_ready_s"] = time.perf_counter() - START
    print(f"replica: BM25 ready {row['bm25_ready_s']:.1f} s after start, RSS {proc_rss_mb()} MB", file=sys.stderr,
          flush=True)
    from assistant.eval.questions import read_questions  # noqa: I001 - only once the replica has started

    questions = list(read_questions(questions_path, warn=lambda line: print(line, file=sys.stderr)))[:limit or None]
    row["concurrent"] = concurrent(lambda q: assistant.ask(q.question, filters=q.filters), questions, clients,
                                   ["self"])
    row["rss_mb"], row["peak_rss_mb"] = proc_rss_mb()
    row["chunks"] = archive.stats()["chunks"]
    print(f"replica: {json.dumps(row)}", file=sys.stderr, flush=True)
    if fresh:
        row.update(freshness(assistant, url, folder))
    return row


def freshness(assistant, url: str, folder: Path) -> dict:
    """Seconds from the end of another process's `archive-chat ingest` of one article until this replica cites
    it (dense search sees it at once), and until its BM25 holds it; the article is deleted afterwards."""
    source = folder / "fresh.jsonl"
    source.write_text(json.dumps(FRESH) + "\n")
    cli = str(Path(sys.executable).with_name("archive-chat"))
    subprocess.run([cli, "ingest", str(source), "--chroma-url", url, "--store", str(folder / "cli"), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    ingested = time.perf_counter()
    while not any(p.article.title == FRESH["title"] for p in assistant.retriever.passages(FRESH_QUESTION)):
        time.sleep(0.05)
    retrieved = time.perf_counter() - ingested
    while not any(c.article.title == FRESH["title"] for c in assistant.ask(FRESH_QUESTION).citations):
        time.sleep(0.05)
    cited = time.perf_counter() - ingested
    print(f"replica: new article retrieved {retrieved:.2f} s, cited {cited:.2f} s after its ingest", file=sys.stderr,
          flush=True)
    archive = assistant.archive
    while archive.bm25_index().token != archive.version():
        time.sleep(0.2)
    row = {"fresh_retrieved_s": retrieved, "fresh_cited_s": cited, "fresh_bm25_s": time.perf_counter() - ingested}
    from vectorstore.article import Article

    archive.delete_articles([Article("", url=FRESH["url"]).id])
    return row


def run_replicas(store: Path, args: argparse.Namespace) -> dict:
    """Two replicas at once against one `chroma run` on the store, each with its own askers."""
    with chroma_server(store / "chroma") as (url, pid, ready):
        children = [subprocess.Popen([sys.executable, __file__, "--_replica", url, "--questions", str(args.questions),
                                      "--clients", str(args.clients), "--data", str(args.data),
                                      *(["--fresh"] if i == 0 else [])],
                                     stdout=subprocess.PIPE, text=True) for i in range(2)]
        rows = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
        server_rss = proc_rss_mb(pid)
    both = rows[0]["concurrent"], rows[1]["concurrent"]
    return {"mode": "2 replicas", "chunks": rows[0]["chunks"], "server_start_s": ready,
            "server_rss_mb": server_rss[0], "replicas": rows, "load_avg_5min": os.getloadavg()[1],
            "qps": sum(c["qps"] for c in both), "p95_ms": max(c["p95_ms"] for c in both)}


def cpu_line() -> str:
    """The CPU's model and the vector instructions int8 depends on, printed beside every result (as bench/ingest.py
    reads them)."""
    from ingest import cpu_flags, cpu_info

    cpu = cpu_info()
    return f"{cpu['model']}: {cpu_flags(cpu)}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def chroma_server(folder: Path) -> Iterator[tuple[str, int, float]]:
    """`chroma run` over a store's Chroma folder on a free loopback port: (URL, pid, seconds until it answered)."""
    port = free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    started = time.perf_counter()
    proc = subprocess.Popen([chroma, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - started > 120:
                    raise SystemExit(f"chroma run --path {folder} did not start") from None
                time.sleep(0.2)
        yield url, proc.pid, time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def warm_model(store: Path, bm25: bool) -> None:
    """Make the embedding model's on-disk cache (an ONNX export, built once per model) and, with `bm25`, bring the
    store's own BM25 up to date before anything is timed (replicas build their own)."""
    from assistant.settings import Settings
    from vectorstore.store import Archive

    archive = Archive(Settings(store=store))
    archive.embedder.embed_query("warm-up")
    if bm25:  # the replicas' fresh article moved the version on: start-up opens, not builds
        archive.refresh_bm25(wait=True)
    archive.close()  # the measuring processes open the store themselves


def run_child(store: Path, mode: str, args: argparse.Namespace) -> dict:
    """One measurement in a fresh process; the server, when there is one, is started and stopped around it."""
    command = [sys.executable, __file__, "--_measure", str(store), "--questions", str(args.questions),
               "--clients", str(args.clients), "--data", str(args.data)]

    def child(extra: list[str]) -> dict:
        done = subprocess.run(command + extra, stdout=subprocess.PIPE, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    if mode == "embedded":
        row = child([])
    else:
        with chroma_server(store / "chroma") as (url, pid, ready):
            row = {**child(["--chroma-url", url, "--server-pid", str(pid)]), "server_start_s": ready}
    return {"mode": mode, **row, "load_avg_5min": os.getloadavg()[1]}


# --- report -----------------------------------------------------------------------------------------------------

LATENCY = ("chunks", "mode", "ask p50 ms", "ask p95 ms", "ask CPU mean", "ask CPU p95", "retrieve p50 ms",
           "retrieve p95 ms", "retrieve CPU mean", "retrieve CPU p95", "chronology p50 ms", "chronology p95 ms")
SCALE = ("chunks", "mode", "start-up s", "start-up CPU s", "peak RSS MB", "server RSS MB", "{c} clients q/s",
         "{c} clients p50 ms", "{c} clients p95 ms", "{c} clients CPU ms/q", "load 5m")


def latency_cells(row: dict) -> list[str]:
    ask, got, dated = row["ask"], row["retrieve"], row.get("chronology", {"p50_ms": np.nan, "p95_ms": np.nan})
    return [f"{row['chunks']:,}", row["mode"], *(f"{x:.0f}" for x in (
        ask["p50_ms"], ask["p95_ms"], ask["cpu_ms"], ask["cpu_p95_ms"], got["p50_ms"], got["p95_ms"], got["cpu_ms"],
        got["cpu_p95_ms"], dated["p50_ms"], dated["p95_ms"]))]


def scale_cells(row: dict) -> list[str]:
    conc = row["concurrent"]
    server = f"{row['server_peak_rss_mb']:,.0f}" if "server_peak_rss_mb" in row else "–"
    return [f"{row['chunks']:,}", row["mode"], f"{row['startup_s']:.1f}", f"{row['startup_cpu_s']:.1f}",
            f"{row['peak_rss_mb']:,.0f}", server, f"{conc['qps']:.1f}", f"{conc['p50_ms']:.0f}",
            f"{conc['p95_ms']:.0f}", f"{conc['cpu_ms']:.0f}", f"{row['load_avg_5min']:.2f}"]


def table(head: tuple[str, ...], body: list[list[str]], clients: int) -> str:
    head = tuple(c.format(c=clients) for c in head)
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(c.ljust(w) if j == 1 else c.rjust(w) for j, (c, w) in enumerate(zip(line, widths, strict=True)))
             for line in (head, *body)]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def tables(rows: list[dict], clients: int) -> str:
    return (table(LATENCY, [latency_cells(r) for r in rows], clients) + "\n\n"
            + table(SCALE, [scale_cells(r) for r in rows], clients))


def stage_table(rows: list[dict]) -> str:
    """CPU ms per question, stage by stage, for each embedded store (bench/stages.py)."""
    staged = [r for r in rows if "stages" in r]
    if not staged:
        return ""
    names = list(dict.fromkeys(name for r in staged for name in r["stages"]["cpu_ms"]))
    head = ("stage (CPU ms/question)", *(f"{r['chunks']:,}" for r in staged))
    body = [[name, *(f"{r['stages']['cpu_ms'].get(name, 0.0):.1f}" for r in staged)] for name in names]
    body.append(["ask, total", *(f"{r['stages']['total_cpu_ms']:.1f}" for r in staged)])
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(line, widths, strict=True)))
             for line in (head, *body)]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def targets(rows: list[dict]) -> list[tuple[str, bool]]:
    """The issue's targets at the largest embedded size, and how ask latency grew against the archive."""
    embedded = sorted((r for r in rows if r["mode"] == "embedded"), key=lambda r: r["chunks"])
    if not embedded:
        return []
    big, small = embedded[-1], embedded[0]
    n = f"{big['chunks']:,} chunks"
    checks = [(f"ask p95 {big['ask']['p95_ms']:.0f} ms <= {TARGETS['ask_p95_ms']:.0f} ms at {n}",
               big["ask"]["p95_ms"] <= TARGETS["ask_p95_ms"]),
              (f"start-up {big['startup_s']:.1f} s <= {TARGETS['startup_s']:.0f} s at {n}",
               big["startup_s"] <= TARGETS["startup_s"]),
              (f"peak RSS {big['peak_rss_mb']:,.0f} MB <= {TARGETS['rss_mb']:,.0f} MB at {n}",
               big["peak_rss_mb"] <= TARGETS["rss_mb"])]
    if "chronology" in big:
        checks.append((f"chronology p95 {big['chronology']['p95_ms']:.0f} ms <= {TARGETS['chronology_p95_ms']:.0f} ms"
                       f" at {n}", big["chronology"]["p95_ms"] <= TARGETS["chronology_p95_ms"]))
    if big is not small:
        grew, cpu_grew = (big["ask"][key] / small["ask"][key] for key in ("p50_ms", "cpu_ms"))
        size = big["chunks"] / small["chunks"]
        checks.append((f"ask p50 grew x{grew:.2f} (CPU/q x{cpu_grew:.2f}) while the archive grew x{size:.0f}: "
                       f"at most its square root, x{size ** 0.5:.0f}", max(grew, cpu_grew) <= size ** 0.5))
    return checks


REPLICA = ("chunks", "replica", "start-up s", "BM25 ready s", "{c} clients q/s", "{c} clients p50 ms",
           "{c} clients p95 ms", "peak RSS MB", "server RSS MB", "new article retrieved s", "cited s", "in BM25 s",
           "load 5m")
REPLICA_TARGETS = {"p95_ms": 150.0, "startup_s": 60.0, "rss_mb": 3072.0}


def replica_table(runs: list[dict], clients: int) -> str:
    body = []
    for run in runs:
        for i, r in enumerate(run["replicas"]):
            conc = r["concurrent"]
            body.append([f"{run['chunks']:,}", str(i + 1), f"{r['startup_s']:.1f}", f"{r['bm25_ready_s']:.1f}",
                         f"{conc['qps']:.1f}", f"{conc['p50_ms']:.0f}", f"{conc['p95_ms']:.0f}",
                         f"{r['peak_rss_mb']:,.0f}", f"{run['server_rss_mb']:,.0f}",
                         f"{r['fresh_retrieved_s']:.2f}" if "fresh_retrieved_s" in r else "–",
                         f"{r['fresh_cited_s']:.2f}" if "fresh_cited_s" in r else "–",
                         f"{r['fresh_bm25_s']:.1f}" if "fresh_bm25_s" in r else "–", f"{run['load_avg_5min']:.2f}"])
    return table(REPLICA, body, clients)


def replica_targets(runs: list[dict]) -> list[tuple[str, bool]]:
    checks = []
    for run in runs:
        n = f"{run['chunks']:,} chunks, 2 replicas"
        start = max(r["startup_s"] for r in run["replicas"])
        rss = max(r["peak_rss_mb"] for r in run["replicas"])
        checks += [(f"ask p95 {run['p95_ms']:.0f} ms <= {REPLICA_TARGETS['p95_ms']:.0f} ms at {n}",
                    run["p95_ms"] <= REPLICA_TARGETS["p95_ms"]),
                   (f"replica start-up {start:.1f} s <= {REPLICA_TARGETS['startup_s']:.0f} s at {n}",
                    start <= REPLICA_TARGETS["startup_s"]),
                   (f"replica peak RSS {rss:,.0f} MB <= {REPLICA_TARGETS['rss_mb']:,.0f} MB at {n}",
                    rss <= REPLICA_TARGETS["rss_mb"])]
    return checks


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (lat, mem) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode, style in (("embedded", "-"), ("server", "--")):
        got = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["chunks"])
        if not got:
            continue
        x = [r["chunks"] for r in got]
        for what, colour in (("ask", "tab:blue"), ("retrieve", "tab:orange")):
            lat.plot(x, [r[what]["p50_ms"] for r in got], style, marker="o", color=colour, label=f"{what} p50, {mode}")
            lat.plot(x, [r[what]["p95_ms"] for r in got], style, marker="^", color=colour, alpha=0.5,
                     label=f"{what} p95, {mode}")
        lat.plot(x, [r["ask"]["cpu_ms"] for r in got], style, marker="x", color="tab:purple",
                 label=f"ask CPU ms (mean), {mode}")
        mem.plot(x, [r["startup_s"] for r in got], style, marker="o", color="tab:green", label=f"start-up s, {mode}")
        mem.plot(x, [r["peak_rss_mb"] / 1024 for r in got], style, marker="s", color="tab:red",
                 label=f"peak RSS GB, {mode}")
    lat.axhline(TARGETS["ask_p95_ms"], color="grey", linewidth=0.8, linestyle=":")
    lat.set(xscale="log", xlabel="chunks in the archive", ylabel="ms per question", title="Latency (1 client)")
    mem.set(xscale="log", xlabel="chunks in the archive", title="Start-up and memory (client process)")
    for ax in (lat, mem):
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[2000, 20000, 200000], help="chunks per store")
    parser.add_argument("--modes", nargs="+", choices=("embedded", "server", "replicas"),
                        default=["embedded", "server", "replicas"])
    parser.add_argument("--questions", type=int, default=0, help="first N dev questions (0: all 264)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent askers")
    parser.add_argument("--base", type=Path, default=OUT / "stores" / "realtimeqa", help="the store to replicate")
    parser.add_argument("--data", type=Path, default=DATA, help="the folder holding the dev sets")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the replicated stores")
    parser.add_argument("--_measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chroma-url", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_replica", help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._replica:
        print(json.dumps(measure_replica(args._replica, args.data / QUESTIONS, args.questions, args.clients,
                                         args.fresh)))
        return
    if args._measure:
        print(json.dumps(measure(args._measure, args.chroma_url, args.server_pid, args.data / QUESTIONS, args.questions,
                                 args.clients)))
        return
    if not (args.base / "chroma").exists():
        raise SystemExit(f"{args.base}: no store to replicate (run `python bench/quality.py --sets realtimeqa`)")

    rows, replicas = [], []
    for size in args.sizes:
        store = build(size, args.base, args.rebuild)
        warm_model(store, bm25=set(args.modes) != {"replicas"})
        for mode in args.modes:
            if mode == "replicas":
                replicas.append(run_replicas(store, args))
                print(replica_table(replicas[-1:], args.clients), file=sys.stderr, flush=True)
                continue
            rows.append(run_child(store, mode, args))
            print(tables(rows[-1:], args.clients), file=sys.stderr, flush=True)
    print(f"CPU: {cpu_line()}")
    print(tables(rows, args.clients) if rows else "")
    print(stage_table(rows))
    print(replica_table(replicas, args.clients) if replicas else "")
    checks = targets(rows) + replica_targets(replicas)
    for text, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    saved = OUT / "query.json"
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "clients": args.clients,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}  # torch's idle threads spin unless PASSIVE
    found = [{"target": t, "passed": p} for t, p in checks]
    saved.write_text(json.dumps({**meta, "cpu": cpu_line(), "rows": rows, "replicas": replicas, "targets": found},
                                indent=2) + "\n")
    if rows:  # a replicas-only run leaves the latency plot of the last full run as it is
        plot(rows, OUT / "query.png")
        shutil.copyfile(OUT / "query.png", ROOT / "bench" / "query.png")
    print(f"wrote {saved.relative_to(ROOT)}" + (", bench/out/query.png and bench/query.png" if rows else ""))


if __name__ == "__main__":
    main()
