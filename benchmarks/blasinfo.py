"""Which BLAS ran: numpy's own, and the system libblas.so.3 that CHOLMOD (and R) call.

Timings of sparse Cholesky and of lme4 depend heavily on the BLAS behind them
(Debian's reference BLAS is several times slower than OpenBLAS), so every
benchmark report starts with this. numpy's wheels bundle their own OpenBLAS;
CHOLMOD links ``libblas.so.3``, which Debian resolves through update-alternatives.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ALTERNATIVE = "libblas.so.3-x86_64-linux-gnu"


def numpy_blas() -> str:
    """numpy's BLAS: from threadpoolctl if installed (library, version, threads), else numpy's build config."""
    import numpy

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} (numpy.show_config; threadpoolctl not installed)"
    pools = [p for p in threadpool_info() if p["user_api"] == "blas" and "numpy" in p["filepath"]]
    return "; ".join(_describe_pool(p) for p in pools) or "not found by threadpoolctl"


def cholmod_blas() -> str:
    """The target of libblas.so.3, which CHOLMOD (and R) load: update-alternatives, else ldconfig."""
    return _alternatives_value() or _ldconfig_target() or "unknown (no update-alternatives or ldconfig)"


def loaded_blas() -> list[str]:
    """BLAS/LAPACK libraries mapped into this process now (Linux /proc/self/maps): what actually ran."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return []
    paths = {line.split()[-1] for line in maps.read_text().splitlines() if "/" in line}
    return sorted(p for p in paths if any(k in Path(p).name for k in ("blas", "lapack", "mkl")))


def cholmod_uses_optimised_blas() -> bool:
    """True when libblas.so.3 is not Debian's unoptimised reference BLAS (``.../blas/libblas.so.3``)."""
    target = cholmod_blas()
    return "openblas" in target or "mkl" in target or "blis" in target or "atlas" in target


def report() -> str:
    """A few lines naming each BLAS; import sparselmm first so CHOLMOD's library is loaded."""
    lines = [f"numpy BLAS:   {numpy_blas()}",
             f"CHOLMOD BLAS: libblas.so.3 -> {cholmod_blas()}"]
    loaded = [p for p in loaded_blas() if "/site-packages/" not in p]
    if loaded:
        lines.append("system BLAS/LAPACK loaded: " + ", ".join(loaded))
    return "\n".join(lines)


def _describe_pool(pool: dict) -> str:
    """'openblas 0.3.31 (SkylakeX, 2 threads) libscipy_openblas64_.so' from a threadpoolctl record."""
    name = Path(pool["filepath"]).name
    return (f"{pool['internal_api']} {pool.get('version')} "
            f"({pool.get('architecture', '?')}, {pool['num_threads']} threads) {name}")


def _alternatives_value() -> str | None:
    """The 'Value:' line of ``update-alternatives --query``, None where that tool is missing."""
    if not shutil.which("update-alternatives"):
        return None
    query = _run(["update-alternatives", "--query", ALTERNATIVE])
    values = [line.split(":", 1)[1].strip() for line in query.splitlines() if line.startswith("Value:")]
    return values[0] if values else None


def _ldconfig_target() -> str | None:
    """libblas.so.3 as the dynamic loader finds it (``ldconfig -p``), symlinks resolved."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    for line in _run([ldconfig, "-p"]).splitlines():
        if line.strip().startswith("libblas.so.3 ") and "=>" in line:
            return str(Path(line.split("=>")[1].strip()).resolve())
    return None


def _run(command: list[str]) -> str:
    """stdout of a short command, '' if it cannot run."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    import sparselmm  # noqa: F401  (loads CHOLMOD and with it libblas.so.3)

    print(report())
