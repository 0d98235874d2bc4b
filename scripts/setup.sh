#!/usr/bin/env bash
# Installs churnkit's build and test dependencies from Debian 12 packages.
# Idempotent: installs only what is missing. Runs apt as root, or via sudo.
#   scripts/setup.sh          build, test, fuzz and format-check deps
#   scripts/setup.sh --bench  also the Python packages of bench/compare
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev libabsl-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format
  # the Python package (python/) and its tests: Debian's python3 packages
  python3-numpy python3-pandas python3-pytest python3-matplotlib
  # churnkit.dask and its tests on a LocalCluster (docs/scale-out.md)
  python3-dask python3-distributed
  # the HTML report's browser check: headless Chromium renders it in the tests
  chromium
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-numpy python3-pandas python3-sklearn python3-scipy
             liblinear-tools)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  apt_get=(apt-get)
else
  apt_get=(sudo apt-get)
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${apt_get[@]}" update -qq
"${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
