#!/usr/bin/env bash
# Set up Jupyter with the tslab (TypeScript) kernel for this checkout, on Debian/Ubuntu.
#
#   bash environment/setup_jupyter.sh            # from the repository root, after `npm install`
#
# Idempotent. What it does:
#   1. As root on Debian/Ubuntu: installs Debian's Jupyter packages with apt when /usr/bin/python3 cannot
#      import nbclient + ipykernel (jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel
#      python3-nbconvert). Not root: checks they are there and tells you the apt command otherwise.
#   2. Registers the tslab kernels (`tslab` TypeScript, `jslab` JavaScript) under ./.jupyter with the Debian
#      python (never pyenv's `python3`) and the absolute path of node_modules/.bin/tslab, so the kernel
#      starts without node_modules/.bin on PATH. The kernelspec holds an absolute path: re-run this script
#      after moving the checkout.
#   3. Prints how to start Jupyter (environment/jupyter.sh).
# Environment: MMSN_JUPYTER_PREFIX (default $PWD/.jupyter), MMSN_PYTHON (default /usr/bin/python3),
#              MMSN_WITH_NOTEBOOK=1 also installs Debian's classic `jupyter-notebook` server.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="${MMSN_PYTHON:-/usr/bin/python3}"
PREFIX="${MMSN_JUPYTER_PREFIX:-$ROOT/.jupyter}"
TSLAB="$ROOT/node_modules/.bin/tslab"
DEBS=(jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel python3-nbconvert)
[ "${MMSN_WITH_NOTEBOOK:-0}" = "1" ] && DEBS+=(jupyter-notebook)

say() { echo "[setup_jupyter] $*"; }

have_python_pkgs() {
  [ -x "$PY" ] && PYDEVD_DISABLE_FILE_VALIDATION=1 "$PY" -c "import nbclient, nbformat, ipykernel, jupyter_client" >/dev/null 2>&1
}

need_notebook_server() { [ "${MMSN_WITH_NOTEBOOK:-0}" = "1" ] && ! [ -x /usr/bin/jupyter-notebook ]; }

# 1. Debian packages
if have_python_pkgs && ! need_notebook_server; then
  say "Jupyter packages present ($PY imports nbclient, ipykernel)"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  say "installing ${DEBS[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  log="${TMPDIR:-/tmp}/mmsn-setup-jupyter-apt.log"
  if ! apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${DEBS[@]}" >"$log" 2>&1; then
    apt-get update -qq >>"$log" 2>&1 || true
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${DEBS[@]}" >>"$log" 2>&1 \
      || { tail -20 "$log"; say "apt-get failed (log: $log)"; exit 1; }
  fi
  have_python_pkgs || { say "$PY still cannot import nbclient/ipykernel after apt-get"; exit 1; }
else
  say "$PY cannot import nbclient/ipykernel and this is not root on Debian."
  say "Install them:  sudo apt-get install --no-install-recommends ${DEBS[*]}"
  say "or point MMSN_PYTHON at a python with jupyter_client, nbclient and ipykernel (pip/conda)."
  exit 2
fi

# 2. tslab kernelspec
if ! [ -x "$TSLAB" ]; then
  say "$TSLAB not found: run \`npm install\` first (tslab is a devDependency)"
  exit 1
fi
KDIR="$PREFIX/share/jupyter/kernels/tslab"
if [ -f "$KDIR/kernel.json" ] && grep -qF "\"$TSLAB\"" "$KDIR/kernel.json"; then
  say "tslab kernelspec already registered: $KDIR"
else
  say "registering the tslab kernels in $PREFIX"
  "$TSLAB" install --python "$PY" --binary "$TSLAB" --prefix "$PREFIX" >/dev/null
  [ -f "$KDIR/kernel.json" ] || { say "tslab install did not write $KDIR/kernel.json"; exit 1; }
fi

# 3. The compiled package the notebooks import (../dist/...)
if ! [ -f "$ROOT/dist/src/index.js" ] || ! [ -f "$ROOT/dist/data-loaders/index.js" ]; then
  say "building dist/ (npx tsc -p tsconfig.json)"
  "$ROOT/node_modules/.bin/tsc" -p tsconfig.json
fi

cat <<MSG
[setup_jupyter] done. Kernels: tslab (TypeScript), jslab (JavaScript) in $PREFIX/share/jupyter/kernels

Open the notebooks (root or not; jupyter lab when installed, else jupyter notebook):
  bash environment/jupyter.sh                                         # MMSN_SUBSET=2000 … caps real data per split
A server, if you have none (Debian has no JupyterLab package):
  sudo apt-get install --no-install-recommends jupyter-notebook      # classic Notebook, or MMSN_WITH_NOTEBOOK=1 bash $0
JupyterLab (renders the vega-lite charts natively) from pip or conda, in a venv/env of your own:
  python3 -m venv ~/.venvs/jlab && ~/.venvs/jlab/bin/pip install jupyterlab
  MMSN_JUPYTER=~/.venvs/jlab/bin/jupyter bash environment/jupyter.sh
  # conda: conda create -n jlab -c conda-forge jupyterlab && conda activate jlab && bash environment/jupyter.sh
Execute every notebook headless (what npm test does):   bash environment/execute_notebooks.sh --check
Re-execute them in place (refresh committed outputs):  bash environment/execute_notebooks.sh
MSG
