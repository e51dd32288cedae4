#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]   (torchrun, one node by default)
# Python: $PYTHON if set, else this checkout's .venv/bin/python, else python3 on PATH.
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT.
set -e
if [ $# -lt 3 ]; then
    echo "Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]" >&2
    exit 2
fi
exec bash "$(dirname "${BASH_SOURCE[0]}")/dist_run.sh" "$3" test.py "$1" "$2" --launcher pytorch "${@:4}"
