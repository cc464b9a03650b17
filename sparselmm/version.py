"""The package version (one place: the package, the JSON records and the benchmarks read it)."""

__version__ = "0.1.0"
