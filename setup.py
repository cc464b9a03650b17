"""The compiled parts of sparselmm: the loops over pairs of columns within a level (sparselmm/_kernels.c) and
the entries of A^-1 on the pattern of its sparse Cholesky factor (sparselmm/_selinv.c).

Everything else (metadata, dependencies) is in pyproject.toml.
"""

from setuptools import Extension, setup

def extension(name: str) -> Extension:
    """One of our C modules; sparselmm/_buffer.h is how each reads NumPy's arrays."""
    return Extension(f"sparselmm.{name}", [f"sparselmm/{name}.c"], depends=["sparselmm/_buffer.h"],
                     extra_compile_args=["-O3"])


setup(ext_modules=[extension("_kernels"), extension("_selinv")])
