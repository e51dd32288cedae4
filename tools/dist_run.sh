#!/usr/bin/env bash
# Usage: tools/dist_run.sh GPUS SCRIPT [args...]: torchrun of tools/SCRIPT (dist_train.sh, dist_test.sh).
# Python: $PYTHON if set, else this checkout's .venv/bin/python, else python3 on PATH.
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT.
set -e
GPUS=$1
SCRIPT=$2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEFAULT_PYTHON="$ROOT/.venv/bin/python"
[ -x "$DEFAULT_PYTHON" ] || DEFAULT_PYTHON=python3
PYTHON=${PYTHON:-$DEFAULT_PYTHON}
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --nproc_per_node="$GPUS" \
    --master_port="${PORT:-29500}" "$ROOT/tools/$SCRIPT" "${@:3}"
