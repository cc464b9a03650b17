#!/usr/bin/env bash
# Installs the system libraries sparselmm builds against, where they are missing:
# CHOLMOD (SuiteSparse headers, for scikit-sparse), an optimised BLAS (OpenBLAS) under it,
# and a compiler, Python headers and venv for Debian's own Python.
set -euo pipefail

packages=(libsuitesparse-dev libopenblas0-pthread gcc)
python=${1:-python3}
if [ "$(command -v "$python")" = /usr/bin/python3 ]; then
  packages+=(python3-dev python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install with your package manager: SuiteSparse (CHOLMOD) headers, OpenBLAS, a C compiler." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
