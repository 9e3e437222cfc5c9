#!/usr/bin/env sh
# Generates the Python stubs from ../../proto into ./gen (not committed).
set -eu
cd "$(dirname "$0")"
PY=${PYTHON:-.venv/bin/python}
mkdir -p gen
"$PY" -m grpc_tools.protoc -I ../../proto \
  --python_out=gen --pyi_out=gen --grpc_python_out=gen \
  paratag/v1/paratag.proto
echo "stubs written to $(pwd)/gen"
