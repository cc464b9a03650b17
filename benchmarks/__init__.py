"""sparselmm's benchmarks: an asv suite (bench_fits.py) and a peer comparison (compare_peers.py).

asv imports this directory as a package; putting the directory itself on
``sys.path`` lets every module import its siblings (``import synthetic``) the same
way whether asv imports it or it runs as a script.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
