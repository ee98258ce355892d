#!/usr/bin/env bash
# Create .venv and install fau_lightning with its test extras; does nothing when already done.
# PyTorch: the normal (CUDA) wheel where an NVIDIA GPU is present; otherwise a CPU-only build:
# a local CPU wheel where pip is configured with one (find-links), else PyTorch's CPU index.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=${FAU_TORCH_VERSION:-2.13.0}

[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
PY=.venv/bin/python
stamp=.venv/.fau-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if ! "$PY" -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "setup: NVIDIA GPU found, installing the CUDA build of torch"
    "$PY" -m pip install -q "torch==$TORCH_VERSION"
  elif "$PY" -m pip download -q --no-deps --no-index -d "$(mktemp -d)" "torch==$TORCH_VERSION" 2>/dev/null; then
    echo "setup: no GPU, installing the local CPU wheel of torch $TORCH_VERSION"
    "$PY" -m pip install -q "torch==$TORCH_VERSION"
  else
    echo "setup: no GPU, installing torch from PyTorch's CPU-only index"
    "$PY" -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu
  fi
fi
"$PY" -m pip install -q -e ".[test]"
echo "$want" > "$stamp"
