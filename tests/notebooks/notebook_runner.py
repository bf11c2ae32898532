#!/usr/bin/python3
"""Execute a notebook headlessly on the Deno Jupyter kernel and save the executed copy.

Usage: /usr/bin/python3 tests/notebook_runner.py IN.ipynb OUT.ipynb [--cwd DIR]
       [--timeout SECONDS] [--grace SECONDS] [--kernel NAME]

Stock nbclient stops reading a cell's outputs at the kernel's `idle` status. The Deno 2.9
kernel can publish outputs (display_data, stream) after that status, so stock nbclient drops
them. GraceClient keeps reading for a grace period (0.25 s) after `idle`, routes any output
that arrives later still (while another cell runs) to the cell whose request it answers, and
reads once more for 1 s after the last cell before shutting the kernel down. An error output
fails the run even when the kernel's reply says "ok" (Deno reports errors raised while
displaying a cell's value that way).

Exit status: 0 when every cell ran, 1 when a cell failed (its index, source and error are
printed), 2 on bad usage or a kernel that cannot start. The executed notebook is written even
when a cell fails, to help debugging.
"""

import argparse
import asyncio
import os
import sys
import time
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError, DeadKernelError
from nbclient.util import ensure_async

DEFAULT_GRACE_SECONDS = 0.25
FINAL_GRACE_SECONDS = 1.0


class GraceClient(NotebookClient):
    """NotebookClient that keeps collecting a cell's outputs briefly after `idle`."""

    def __init__(self, nb, grace_seconds=DEFAULT_GRACE_SECONDS, **kwargs):
        super().__init__(nb, **kwargs)
        self.grace_seconds = grace_seconds
        # msg_id of each execute request -> (cell, cell_index), for late outputs.
        self._cells_by_request = {}
        self.late_outputs = 0
        self.current_index = 0
        self.cell_seconds = {}

    def _process_late(self, msg):
        """Route an output that arrived after its cell's `idle` to that cell."""
        target = self._cells_by_request.get(msg["parent_header"].get("msg_id"))
        if target is None or msg["msg_type"] == "status":
            return
        cell, cell_index = target
        try:
            out = self.process_message(msg, cell, cell_index)
        except CellExecutionComplete:
            return
        if out is not None or msg["msg_type"] == "update_display_data":
            self.late_outputs += 1

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        assert self.kc is not None
        self._cells_by_request[parent_msg_id] = (cell, cell_index)
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    break
            else:
                self._process_late(msg)
        await self.drain(self.grace_seconds)

    async def drain(self, seconds):
        """Read IOPub for `seconds`, routing outputs to the cells they belong to."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=remaining))
            except Empty:
                return
            self._process_late(msg)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        start = time.monotonic()
        try:
            result = await super().async_execute_cell(
                cell, cell_index, execution_count=execution_count, store_history=store_history
            )
        finally:
            if cell.cell_type == "code":
                self.cell_seconds[cell_index] = time.monotonic() - start
        # The Deno kernel reports an error raised while formatting a cell's value (e.g. in a
        # Jupyter.display method) as an error output with an "ok" reply: fail on it too.
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
    parser.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE_SECONDS,
        help=f"seconds to keep reading outputs after idle ({DEFAULT_GRACE_SECONDS})",
    )
    parser.add_argument("--kernel", default="deno", help="kernel name (deno)")
    args = parser.parse_args(argv)

    os.environ["NO_COLOR"] = "1"
    cwd = os.path.abspath(args.cwd or os.path.dirname(os.path.abspath(args.input)))
    nb = nbformat.read(args.input, as_version=4)
    client = GraceClient(
        nb,
        grace_seconds=args.grace,
        timeout=args.timeout,
        startup_timeout=120,
        iopub_timeout=max(10, int(args.grace * 4) + 5),
        kernel_name=args.kernel,
        resources={"metadata": {"path": cwd}},
        allow_errors=False,
    )
    started = time.monotonic()
    status = 0
    try:
        asyncio.run(_execute(client))
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
    except Exception as error:  # kernel missing, cannot start, timeout...
        status = 2
        print(f"notebook_runner: {args.input}: {type(error).__name__}: {error}", file=sys.stderr)
    nbformat.write(nb, args.output)
    cells = " ".join(f"{i}:{s:.1f}s" for i, s in sorted(client.cell_seconds.items()))
    print(
        f"notebook_runner: {args.input}: {'ok' if status == 0 else 'FAILED'} in "
        f"{time.monotonic() - started:.1f}s, late outputs {client.late_outputs}, cells {cells}",
        file=sys.stderr,
    )
    return status


async def _execute(client):
    """Start the kernel, run every cell, then drain late outputs once more before shutdown."""
    client.reset_execution_trackers()
    async with client.async_setup_kernel():
        info = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
        if info is not None and "language_info" in info["content"]:
            client.nb.metadata["language_info"] = info["content"]["language_info"]
        for index, cell in enumerate(client.nb.cells):
            client.current_index = index
            await client.async_execute_cell(
                cell, index, execution_count=client.code_cells_executed + 1
            )
        await client.drain(max(client.grace_seconds, FINAL_GRACE_SECONDS))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
