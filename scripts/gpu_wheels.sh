#!/usr/bin/env bash
# Download, into .whl/ (git-ignored), the wheels that a lent GPU machine's image lacks, at the
# versions this machine's .venv holds, for that image's Python 3.12 on x86-64. scripts/gpu_check.sh
# installs them there; carry `.whl` and `.venv`-free working tree with the device tool.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=(albumentations albucore stringzilla simsimd pydantic pydantic_core annotated-types typing-inspection
  jsonargparse docstring_parser typeshed_client wandb cwevals distro sniffio platformdirs
  opentelemetry-api opentelemetry-sdk opentelemetry-semantic-conventions opentelemetry-proto
  opentelemetry-exporter-otlp-proto-http opentelemetry-exporter-otlp-proto-common
  opentelemetry-exporter-http-transport opentelemetry-exporter-otlp-common googleapis-common-protos)
mkdir -p .whl
for name in "${missing[@]}"; do
  version=$(.venv/bin/python -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  spec=$name${version:+==$version}
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
    --platform any -d .whl "$spec"
done
du -sh .whl
