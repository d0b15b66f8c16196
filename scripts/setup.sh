#!/usr/bin/env bash
# Installs the Debian packages skinscan needs (only those missing) and builds it in Release into build/.
# Extra arguments go to cmake's configure step (scripts/test.sh passes -DSKINSCAN_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(build-essential cmake ninja-build pkg-config
          libtorch-dev libopencv-dev libcli11-dev libfmt-dev nlohmann-json3-dev doctest-dev
          python3-torch python3-torchvision python3-numpy python3-pil python3-sklearn python3-skimage python3-pandas r-cran-proc
          libcpp-httplib-dev curl chromium  # serve; its tests (curl, headless Chromium)
          libxml2-utils  # xmllint: JUnit files against their schema
          libgoogle-perftools-dev  # tcmalloc: the forward pass without page faults (CMakeLists.txt)
          slurm-wlm munge clang-format clang-14 libclang-rt-14-dev)  # clang: fuzzing (SKINSCAN_FUZZ); clang-format: format_check test
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build
