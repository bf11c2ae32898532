#!/usr/bin/python3
"""Execute a notebook headlessly on the Deno Jupyter kernel with stock nbclient and save the copy.

Usage: /usr/bin/python3 tests/notebooks/notebook_runner.py IN.ipynb OUT.ipynb [--cwd DIR]
       [--timeout SECONDS] [--kernel NAME]

Stock nbclient: a cell's outputs are what arrived before the kernel reported it idle, as in a
notebook page. Nothing waits for late output and nothing is rerun: the executed copy is only the
reference the browser test compares a Run All page with, and the source of the HTML export.
An error output fails the run even when the kernel's reply says "ok" (Deno reports errors raised
while displaying a cell's value that way).

Exit status: 0 when every cell ran, 1 when a cell failed (its index, source and error are
printed), 2 on bad usage or a kernel that cannot start. The executed notebook is written even
when a cell fails, to help debugging.
"""

import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError


class TimedClient(NotebookClient):
    """NotebookClient that times each code cell and fails on error outputs."""

    def __init__(self, nb, **kwargs):
        super().__init__(nb, **kwargs)
        self.cell_seconds = {}
        self.current_index = 0

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self.current_index = cell_index
        start = time.monotonic()
        try:
            result = await super().async_execute_cell(
                cell, cell_index, execution_count=execution_count, store_history=store_history
            )
        finally:
            if cell.cell_type == "code":
                self.cell_seconds[cell_index] = time.monotonic() - start
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise CellExecutionError.from_cell_and_msg(cell, out)
        return result


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", help="notebook to execute")
    parser.add_argument("output", help="where to write the executed notebook")
    parser.add_argument("--cwd", help="kernel working directory (default: the input's folder)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    parser.add_argument("--kernel", default="deno", help="kernel name (deno)")
    args = parser.parse_args(argv)

    os.environ["NO_COLOR"] = "1"
    cwd = os.path.abspath(args.cwd or os.path.dirname(os.path.abspath(args.input)))
    nb = nbformat.read(args.input, as_version=4)
    client = TimedClient(
        nb,
        timeout=args.timeout,
        startup_timeout=120,
        kernel_name=args.kernel,
        resources={"metadata": {"path": cwd}},
        allow_errors=False,
    )
    started = time.monotonic()
    status = 0
    try:
        client.execute()
    except CellExecutionError as error:
        status = 1
        index = client.current_index
        print(f"notebook_runner: {args.input}: cell {index} failed", file=sys.stderr)
        print("---- cell source ----", file=sys.stderr)
        print(nb.cells[index].source, file=sys.stderr)
        print("---- error ----", file=sys.stderr)
        print(str(error), file=sys.stderr)
    except DeadKernelError as error:
        status = 1
        print(f"notebook_runner: {args.input}: the kernel died: {error}", file=sys.stderr)
    except Exception as error:  # kernel missing, cannot start, timeout, garbled message...
        status = 2
        print(f"notebook_runner: {args.input}: {type(error).__name__}: {error}", file=sys.stderr)
    nbformat.write(nb, args.output)
    cells = " ".join(f"{i}:{s:.1f}s" for i, s in sorted(client.cell_seconds.items()))
    print(
        f"notebook_runner: {args.input}: {'ok' if status == 0 else 'FAILED'} in "
        f"{time.monotonic() - started:.1f}s, cells {cells}",
        file=sys.stderr,
    )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
