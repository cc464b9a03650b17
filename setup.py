"""The compiled part of sparselmm: the loops over pairs of columns within a level (sparselmm/_kernels.c).

Everything else (metadata, dependencies) is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("sparselmm._kernels", ["sparselmm/_kernels.c"], extra_compile_args=["-O3"])])
