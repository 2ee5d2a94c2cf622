#!/usr/bin/env python3
"""Execute tslab notebooks headless with nbclient and fail on any cell error.

    /usr/bin/python3 test/notebooks/run_notebook.py [--timeout S] (--out DIR | --inplace) NOTEBOOK...

* Kernel `tslab` (register it with `bash environment/setup_jupyter.sh`; pass JUPYTER_PATH=<repo>/.jupyter/share/jupyter).
* The kernel's cwd is the notebook's own folder, as in JupyterLab, so notebooks import `../dist/src/index.js`.
* Fails (exit 1) on the first cell error (type error or runtime throw: nbclient raises CellExecutionError), and
  also when the notebook did not run to its end: tslab silently skips the cells queued after a failed one, so a
  sentinel cell is appended (and removed before writing) that must print, and every code cell must have an
  output unless its metadata tags contain "no-output".
* --out DIR writes the executed copy to DIR/<name>; --inplace overwrites the notebook (refresh committed outputs).
* Prints one JSON line per notebook: {"notebook", "ok", "seconds", "cells", "error"?}.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError  # noqa: E402

SENTINEL = "__MMSN_NOTEBOOK_RAN_TO_THE_END__"
NO_OUTPUT_TAG = "no-output"


def has_output(cell):
    return any(o.get("output_type") in ("stream", "display_data", "execute_result") for o in cell.get("outputs", []))


def run(path, timeout, kernel):
    nb = nbformat.read(path, as_version=4)
    n_user = len(nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(f'console.log("{SENTINEL}");'))
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        startup_timeout=120,
        record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = "cell error: " + str(e).strip()[-3000:]
        # tslab reports compile and runtime errors on stderr with an empty ename/evalue: add them.
        for c in reversed(nb.cells[:n_user]):
            if c.cell_type == "code" and c.get("outputs"):
                err = [o.get("text", "") for o in c.outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
                err += ["%s: %s" % (o.get("ename"), o.get("evalue")) for o in c.outputs if o.get("output_type") == "error"]
                if err:
                    error += "\n--- kernel stderr ---\n" + "".join(err)[-3000:]
                break
    except CellTimeoutError as e:
        error = f"cell timeout ({timeout} s): " + str(e).strip()[-1000:]
    except DeadKernelError as e:
        error = "kernel died: " + str(e)
    sentinel = nb.cells.pop()
    if error is None:
        text = "".join(o.get("text", "") for o in sentinel.get("outputs", []) if o.get("output_type") == "stream")
        if SENTINEL not in text:
            error = "the notebook did not run to its end (tslab skipped cells after an error?)"
    if error is None:
        for i, c in enumerate(nb.cells[:n_user]):
            if c.cell_type != "code" or not c.source.strip():
                continue
            if NO_OUTPUT_TAG in c.metadata.get("tags", []):
                continue
            if not has_output(c):
                error = f"code cell {i} has no output after execution (tag it '{NO_OUTPUT_TAG}' if that is intended):\n{c.source[:300]}"
                break
    return nb, error


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="+")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", help="write executed copies into this folder")
    g.add_argument("--inplace", action="store_true", help="overwrite the notebooks with their executed copies")
    ap.add_argument("--timeout", type=int, default=300, help="per-cell timeout in seconds (default 300)")
    ap.add_argument("--kernel", default="tslab")
    a = ap.parse_args()
    failed = 0
    for path in a.notebooks:
        t0 = time.time()
        nb, error = run(path, a.timeout, a.kernel)
        dt = time.time() - t0
        if a.inplace:
            if error is None:  # never overwrite a committed notebook with a failed run
                nbformat.write(nb, path)
        else:
            os.makedirs(a.out, exist_ok=True)
            nbformat.write(nb, os.path.join(a.out, os.path.basename(path)))
        rec = {"notebook": path, "ok": error is None, "seconds": round(dt, 1), "cells": len(nb.cells)}
        if error:
            rec["error"] = error
            failed += 1
        print(json.dumps(rec), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
