#!/usr/bin/env bash
# Open the notebooks in Jupyter with this checkout's tslab (TypeScript) kernel, as root or not.
#
#   bash environment/jupyter.sh                       # from anywhere in the checkout; opens notebooks/
#   bash environment/jupyter.sh --no-browser --port=8899   # extra arguments go to jupyter unchanged
#   bash environment/jupyter.sh --dry-run             # print the environment and command, start nothing
#
# What it does:
#   1. Registers the kernel first (bash environment/setup_jupyter.sh) when .jupyter/ has no tslab kernelspec
#      for this checkout (missing, or written for another path).
#   2. Prepends <checkout>/.jupyter/share/jupyter (or $MMSN_JUPYTER_PREFIX/share/jupyter) to JUPYTER_PATH, so
#      Jupyter finds that kernelspec, and sets PYDEVD_DISABLE_FILE_VALIDATION=1, which silences the debugger's
#      4-line "frozen modules" warning that every `jupyter` command prints on Debian's Python 3.11.
#   3. Starts `jupyter lab` when JupyterLab is installed (a `jupyter-lab` beside `jupyter` or on PATH), else
#      `jupyter notebook` (Debian's classic Notebook), with --notebook-dir=<checkout>/notebooks and, when run as
#      root (id -u = 0), --allow-root (Jupyter refuses to start as root without it).
# Environment:
#   MMSN_JUPYTER            the jupyter executable (default: `jupyter` on PATH), e.g. ~/.venvs/jlab/bin/jupyter
#   MMSN_JUPYTER_APP        lab | notebook: force the front end instead of picking lab when installed
#   MMSN_JUPYTER_PREFIX     where setup_jupyter.sh registered the kernel (default <checkout>/.jupyter)
#   MMSN_JUPYTER_DRY_RUN=1  same as --dry-run: print `env NAME=VALUE` and `argv ARG` lines (one per line) and exit
#   MMSN_SUBSET             passed through: caps the images per split the notebooks extract features of
#                           (see notebooks/README.md, "Real-data scale")
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PREFIX="${MMSN_JUPYTER_PREFIX:-$ROOT/.jupyter}"
TSLAB="$ROOT/node_modules/.bin/tslab"
KERNEL_JSON="$PREFIX/share/jupyter/kernels/tslab/kernel.json"
DRY="${MMSN_JUPYTER_DRY_RUN:-0}"
if [ "${1:-}" = "--dry-run" ]; then DRY=1; shift; fi

say() { echo "[jupyter.sh] $*" >&2; }

# The jupyter executable, and the front end.
JUPYTER="${MMSN_JUPYTER:-$(command -v jupyter || true)}"
if [ -z "$JUPYTER" ] || ! [ -x "$JUPYTER" ]; then
  say "no \`jupyter\` command found${MMSN_JUPYTER:+ (MMSN_JUPYTER=$MMSN_JUPYTER is not executable)}. Install a server:"
  say "  sudo apt-get install --no-install-recommends jupyter-notebook     # Debian's classic Notebook"
  say "  or JupyterLab in a venv: python3 -m venv ~/.venvs/jlab && ~/.venvs/jlab/bin/pip install jupyterlab"
  say "     then MMSN_JUPYTER=~/.venvs/jlab/bin/jupyter bash environment/jupyter.sh"
  exit 2
fi
has_sub() { [ -x "$(dirname "$JUPYTER")/jupyter-$1" ] || command -v "jupyter-$1" >/dev/null 2>&1; }
APP="${MMSN_JUPYTER_APP:-}"
if [ -z "$APP" ]; then
  if has_sub lab; then APP=lab; elif has_sub notebook; then APP=notebook; else
    say "$JUPYTER has neither \`lab\` nor \`notebook\`: sudo apt-get install --no-install-recommends jupyter-notebook (or pip install jupyterlab)"
    exit 2
  fi
fi
case "$APP" in lab | notebook) ;; *) say "MMSN_JUPYTER_APP must be lab or notebook, got \"$APP\""; exit 2 ;; esac

ARGV=("$JUPYTER" "$APP" "--notebook-dir=$ROOT/notebooks")
[ "$(id -u)" = "0" ] && ARGV+=(--allow-root)
ARGV+=("$@")
export JUPYTER_PATH="$PREFIX/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export PYDEVD_DISABLE_FILE_VALIDATION=1

kernel_ok() { [ -f "$KERNEL_JSON" ] && grep -qF "\"$TSLAB\"" "$KERNEL_JSON"; }

if [ "$DRY" = "1" ]; then
  kernel_ok || echo "setup bash $ROOT/environment/setup_jupyter.sh"
  echo "env JUPYTER_PATH=$JUPYTER_PATH"
  echo "env PYDEVD_DISABLE_FILE_VALIDATION=$PYDEVD_DISABLE_FILE_VALIDATION"
  for a in "${ARGV[@]}"; do echo "argv $a"; done
  exit 0
fi

if ! kernel_ok; then
  say "no tslab kernelspec for this checkout in $PREFIX: running environment/setup_jupyter.sh"
  MMSN_JUPYTER_PREFIX="$PREFIX" bash "$ROOT/environment/setup_jupyter.sh" >&2
fi
say "JUPYTER_PATH=$JUPYTER_PATH PYDEVD_DISABLE_FILE_VALIDATION=1 ${ARGV[*]}"
say "pick the TypeScript kernel (tslab); MMSN_SUBSET=${MMSN_SUBSET:-<unset>}"
exec "${ARGV[@]}"
