#!/usr/bin/env bash
# Execute the notebooks headless with the tslab kernel (test/notebooks/run_notebook.py).
#
#   bash environment/execute_notebooks.sh                 # re-execute every notebooks/*.ipynb in place
#   bash environment/execute_notebooks.sh --check         # execute into a temp folder, leave the notebooks alone
#   bash environment/execute_notebooks.sh notebooks/00_quick_start.ipynb   # only these
#
# In place, a notebook is rewritten only when it ran without error, so the committed copies carry the outputs of
# a full run. Runs environment/setup_jupyter.sh first (kernelspec, dist/) and rebuilds dist/ with tsc.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--inplace)
if [ "${1:-}" = "--check" ]; then mode=(--out "$(mktemp -d "${TMPDIR:-/tmp}/mmsn-notebooks-XXXXXX")"); shift; fi
bash environment/setup_jupyter.sh >/dev/null
node_modules/.bin/tsc -p tsconfig.json
if [ "$#" -gt 0 ]; then nbs=("$@"); else mapfile -t nbs < <(ls notebooks/*.ipynb | sort); fi
export JUPYTER_PATH="$PWD/.jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
exec "${MMSN_PYTHON:-/usr/bin/python3}" test/notebooks/run_notebook.py --timeout "${MMSN_CELL_TIMEOUT:-300}" "${mode[@]}" "${nbs[@]}"
