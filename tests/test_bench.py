"""bench/ingest.py reads the CPU flags its int8 result depends on (bench/ is scripts, loaded by path)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

INGEST = Path(__file__).resolve().parents[1] / "bench" / "ingest.py"
CPUINFO = """processor\t: 0
model name\t: AMD EPYC 7B12
flags\t\t: fpu sse4_2 avx avx2 fma

processor\t: 1
model name\t: AMD EPYC 7B12
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni
"""


def bench_ingest():
    spec = importlib.util.spec_from_file_location("bench_ingest", INGEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_model_and_int8_flags_are_read_from_cpuinfo():
    bench = bench_ingest()
    epyc = bench.cpu_features(CPUINFO)  # the first processor's block
    assert epyc == {"model": "AMD EPYC 7B12", "avx2": True, "avx512": False, "vnni": False}
    assert bench.cpu_flags(epyc) == "AVX2 yes, AVX-512 no, VNNI no"
    xeon = bench.cpu_features("model name : Intel(R) Xeon(R)\nflags : avx2 avx512f avx_vnni\n")
    assert (xeon["model"], xeon["avx512"], xeon["vnni"]) == ("Intel(R) Xeon(R)", True, True)
    assert bench.cpu_flags({"avx2": None, "avx512": None, "vnni": None}) == "AVX2 ?, AVX-512 ?, VNNI ?"
