"""The compiled parts of sparselmm: the loops over pairs of columns within a level (sparselmm/_kernels.c) and
the entries of A^-1 on the pattern of its sparse Cholesky factor (sparselmm/_selinv.c).

Everything else (metadata, dependencies) is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("sparselmm._kernels", ["sparselmm/_kernels.c"], extra_compile_args=["-O3"]),
    Extension("sparselmm._selinv", ["sparselmm/_selinv.c"], extra_compile_args=["-O3"]),
])
