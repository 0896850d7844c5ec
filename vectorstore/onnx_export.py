"""Build the int8 ONNX copy of the embedding model once, locally, and cache it.

Why this recipe: on a laptop CPU the model is almost all of ingest's cost. A plain `quantize_dynamic` of the
exported graph is fast but moves vectors too far (mean cosine 0.947 to the float model on real news chunks).
Fusing the graph first (onnxruntime's BERT optimizer: one Attention, SkipLayerNorm and BiasGelu op per layer)
and quantizing the MatMul weights per output channel gives 0.992-0.994, but a text's vector then depends on
the batch it was encoded in (activations are quantized per tensor). The attention output projections and the
first layer's feed-forward output are the sensitive ones: kept in fp32 (14% of the MatMul work) they bring the
mean cosine to 0.997 (min 0.993) whether a text is encoded alone, as a query is, or in a batch. The fused
Attention op's QKV projection (a quarter of the MatMul work) is quantized too (onnxruntime's QAttention):
+15-25% tokens per CPU second on AVX-512 VNNI for mean cosine 0.995 (min 0.990) on real news chunks.
Calibrated static (QDQ) quantization was tried and is slower on onnxruntime 1.32's CPU provider: it rewrites
per-channel DequantizeLinear→MatMul into weight-only MatMulNBits, computed in float (bench/README.md, issue 26).

Nothing is downloaded: torch exports the packaged weights; the result lives in the user's cache folder keyed by
the model files and this recipe, so every store on the machine shares one build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

# Change RECIPE when the build below changes: caches built by another recipe are then ignored.
RECIPE = "bert-fused/matmul-qattention-int8-per-channel/fp32-attn-out-l0-ffn-out/v3"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FP32_MATMULS = re.compile(r"attention/output/dense/|layer\.0/output/dense/")  # the quantization-sensitive ones


def cache_root() -> Path:
    """$XDG_CACHE_HOME/archive-chat/onnx: machine-local build products, safe to delete."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "archive-chat" / "onnx"


def fingerprint(model_dir: Path) -> str:
    """Names, sizes and mtimes of the model's files with the recipe: a changed model or recipe rebuilds."""
    files = sorted(p for p in model_dir.rglob("*") if p.is_file())
    parts = [RECIPE, str(model_dir.resolve())] + [
        f"{p.relative_to(model_dir)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def int8_model(model_dir: Path, cache: Path | None = None) -> Path:
    """The cached int8 ONNX file for `model_dir`, built on first use (a file lock keeps it to one builder)."""
    folder = (cache or cache_root()) / fingerprint(model_dir)
    target = folder / "model-int8.onnx"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / "build.lock"):
        if not target.exists():
            print(f"building the int8 ONNX embedding model in {folder} (once per model)", file=sys.stderr)
            build(model_dir, target)
    return target


def _config(model_dir: Path) -> dict:
    config = json.loads((model_dir / "config.json").read_text())
    if config.get("model_type") != "bert":
        raise ValueError(
            f"{model_dir}: the onnx-int8 embedding backend handles BERT models, not {config.get('model_type')!r};"
            " set ARCHIVE_CHAT_EMBED_BACKEND=torch"
        )
    return config


def build(model_dir: Path, target: Path) -> None:
    """torch export → fused graph → int8 MatMul and QKV weights; written under a temporary name, then renamed.
    (`DefaultTensorType`: shape inference cannot type the fused contrib ops' outputs; they are float.)"""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    config = _config(model_dir)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32, fused, int8 = (Path(tmp) / name for name in ("fp32.onnx", "fused.onnx", "int8.onnx"))
        _export(model_dir, fp32)
        optimized = optimize_model(
            str(fp32), model_type="bert", num_heads=config["num_attention_heads"], hidden_size=config["hidden_size"]
        )
        optimized.save_model_to_file(str(fused))
        keep = [n.name for n in optimized.model.graph.node if n.op_type == "MatMul" and FP32_MATMULS.search(n.name)]
        if len(keep) != config["num_hidden_layers"] + 1:
            raise ValueError(f"{model_dir}: unexpected exported graph ({len(keep)} sensitive MatMuls found); "
                             "use embed_backend=torch for this model")
        with quiet_root_logger():
            quantize_dynamic(
                fused, int8, weight_type=QuantType.QInt8, per_channel=True,
                op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=keep,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # see below
            )
        os.replace(int8, target)


@contextmanager
def quiet_root_logger() -> Iterator[None]:
    """onnxruntime's quantizer warns through the root logger, which gives the root logger a console handler: its
    advice, and every library's debug lines after it (bm25s's), would then reach the user's terminal."""
    root, null = logging.getLogger(), logging.NullHandler()
    root.addHandler(null)
    try:
        yield
    finally:
        root.removeHandler(null)


def _export(model_dir: Path, path: Path) -> None:
    """The transformer (without pooling) as ONNX, batch and sequence length dynamic."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging

    logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        """Positional inputs in, last hidden state out: what the exporter traces."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "last_hidden_state")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes the dynamic axes cover
        torch.onnx.export(
            Hidden(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(path), dynamo=False,
            input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
        )

