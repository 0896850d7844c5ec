"""The int8 ONNX backend gives the float model's vectors, builds once (offline), and a store keeps its backend."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REALTIMEQA, SEED, realtimeqa_subset
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from vectorstore import onnx_export
from vectorstore.article import Article
from vectorstore.chunk import Chunker
from vectorstore.clean import clean
from vectorstore.embed import Embedder
from vectorstore.ingest import Ingestor
from vectorstore.load import load
from vectorstore.settings import StoreSettings
from vectorstore.store import Archive


class TestEmbedderStandard(EmbeddingsIntegrationTests):
    """langchain-tests' EmbeddingsIntegrationTests on the default (int8 ONNX) backend."""

    @property
    def embeddings_class(self) -> type[Embedder]:
        return Embedder


class TestTorchEmbedderStandard(TestEmbedderStandard):
    """The same suite on the torch backend."""

    @property
    def embedding_model_params(self) -> dict:
        return {"backend": "torch"}


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


@pytest.fixture(scope="module")
def news_texts(tmp_path_factory, torch_embedder) -> list[str]:
    """About a hundred real news chunks, a few questions, and whole articles longer than the model reads."""
    path = realtimeqa_subset(tmp_path_factory.mktemp("news") / "news.jsonl", 8)
    chunker = Chunker(torch_embedder.count_tokens, torch_embedder.split_tokens, 240)
    articles = [clean(a) for a in load(path) if isinstance(a, Article)]
    chunks = [c.text for a in articles for c in chunker(a)]
    questions = [json.loads(line)["question"] for line in (REALTIMEQA / "questions.jsonl").open()][:20]
    return chunks[:100] + questions + [a.text for a in articles[:3]]


def test_onnx_vectors_match_the_float_model(embedder, torch_embedder, news_texts):
    assert embedder.backend == "onnx-int8"
    fast = np.array(embedder.embed_documents(news_texts))
    exact = np.array(torch_embedder.embed_documents(news_texts))
    assert fast.shape == exact.shape == (len(news_texts), 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosine = (fast * exact).sum(axis=1)
    assert cosine.mean() >= 0.99 and cosine.min() >= 0.98, (cosine.mean(), cosine.min())
    # Same neighbours: each chunk's nearest other chunk is the one the float model finds (almost always).
    chunks = slice(0, 100)
    same = (np.argsort(-(fast[chunks] @ fast[chunks].T), axis=1)[:, 1]
            == np.argsort(-(exact[chunks] @ exact[chunks].T), axis=1)[:, 1])
    assert same.mean() >= 0.9
    # int8 activations are scaled per batch: a text encoded alone (a query) must still land where it did in a batch.
    alone = np.array([embedder.embed_query(t) for t in news_texts[::10]])
    assert ((alone * fast[::10]).sum(axis=1) >= 0.99).all()
    # questions go through a one-thread session: the same vector as the ingest's session gives a text alone
    assert np.allclose(alone[0], embedder.embed_documents([news_texts[0]])[0], atol=1e-6)
    assert embedder.embed_documents([]) == []


def test_tokens_counted_as_sentence_transformers_counts_them(embedder, torch_embedder, news_texts):
    texts = news_texts[:40] + ["Ünïcödé naïve café — “quotes” and emoji 🙂", "x" * 500]
    hf = torch_embedder.model.tokenizer(texts, add_special_tokens=False)["input_ids"]
    assert embedder.count_tokens(texts) == [len(ids) for ids in hf]
    assert embedder.max_tokens == torch_embedder.max_tokens == 254
    spans = embedder.split_tokens(news_texts[-1], 50)
    assert len(spans) > 1 and all(embedder.count_tokens([news_texts[-1][a:b]])[0] <= 50 for a, b in spans)


def test_built_model_is_cached_and_reused(embedder, monkeypatch, news_texts):
    built = onnx_export.int8_model(embedder.path)  # built by the session embedder, offline (sockets are blocked)
    assert built.parent.parent == onnx_export.cache_root() and built.stat().st_size > 10_000_000

    def no_rebuild(*_):
        raise AssertionError("the cached model was built again")

    monkeypatch.setattr(onnx_export, "build", no_rebuild)
    again = Embedder()  # a new process would do the same: look up the cache, load, encode
    assert np.allclose(again.embed_documents(news_texts[:3]), embedder.embed_documents(news_texts[:3]), atol=1e-6)


def test_fingerprint_follows_the_model_files(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    before = onnx_export.fingerprint(tmp_path)
    assert onnx_export.fingerprint(tmp_path) == before
    (tmp_path / "config.json").write_text('{"changed": 1}')
    assert onnx_export.fingerprint(tmp_path) != before


def test_onnx_backend_refuses_other_pooling(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    (tmp_path / "modules.json").write_text('[{"idx": 1, "name": "1", "path": "pool", "type": "x.Pooling"}]')
    (tmp_path / "pool").mkdir()
    (tmp_path / "pool" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    with pytest.raises(ValueError, match="ARCHIVE_CHAT_EMBED_BACKEND=torch"):
        Embedder(tmp_path)
    assert Embedder(tmp_path, backend="torch").backend == "torch"


def test_store_keeps_the_backend_its_vectors_came_from(archive, tmp_path, embedder):
    """Recorded in Chroma, so a replica on another machine embeds questions as the stored chunks were."""
    assert archive.embedder is embedder
    assert Ingestor(archive).run([SEED], progress=False).added == 1
    # Asked later with the other backend configured (on a server: from a new local folder, as a replica would):
    # the store's own backend.
    elsewhere = {"store": tmp_path / "replica"} if archive.url else {}
    other = archive.settings.model_copy(update={**elsewhere, "embed_backend": "torch"})
    assert Archive(other).embedder.backend == "onnx-int8"
    # A store built before backends were recorded holds torch vectors.
    archive.parts.state.delete(ids=["embedding"])
    assert Archive(archive.settings.model_copy(update={"embed_backend": "onnx-int8"})).embedder.backend == "torch"
    # A new store takes the setting.
    assert Archive(StoreSettings(store=tmp_path / "new", embed_backend="torch")).embedder.backend == "torch"


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="onnx-int8, torch"):
        Embedder(backend="int4")  # type: ignore[arg-type]


def test_building_leaves_no_console_handler_on_the_root_logger(monkeypatch):
    """onnxruntime's quantizer warns through the root logger, which then gets a console handler that prints every
    library's debug lines (bm25s's) to the user's terminal for the rest of the process."""
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as in `python app.py`, not under pytest's capturing handlers
    with onnx_export.quiet_root_logger():
        logging.warning("Please consider to run pre-processing before quantization.")
    assert root.handlers == []
    logging.warning("without it")
    assert root.handlers  # what would have happened


def test_torch_device_defaults_to_the_gpu_when_torch_sees_one(monkeypatch):
    import torch

    from vectorstore.settings import default_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert default_device() == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert default_device() == "cpu"


def test_torch_backend_embeds_on_the_configured_device(monkeypatch, torch_embedder):
    monkeypatch.delenv("ARCHIVE_CHAT_DEVICE", raising=False)
    assert Embedder(backend="torch").device is None  # unset: default_device() when the model loads
    monkeypatch.setenv("ARCHIVE_CHAT_DEVICE", "cpu")
    assert StoreSettings().device == "cpu"
    on_cpu = Embedder(backend="torch")
    assert on_cpu.device == "cpu" and on_cpu.model.device.type == "cpu"
    assert np.allclose(on_cpu.embed_query("harbour"), torch_embedder.embed_query("harbour"), atol=1e-6)
    monkeypatch.setenv("ARCHIVE_CHAT_DEVICE", "no-such-device")  # the setting reaches torch
    with pytest.raises(RuntimeError, match="no-such-device"):
        _ = Embedder(backend="torch").model
    assert Embedder(backend="torch", device="cpu").device == "cpu"  # an argument wins over the setting
