"""``python -m crmgen`` and the ``crmgen`` command: the Click command line."""

import logging
import os
import sys


def run() -> None:
    """The ``crmgen`` command: runs it, then ends the process at once (:func:`leave`)."""
    from crmgen.cli import main

    try:
        main(prog_name="crmgen")
    except SystemExit as exc:
        leave(exc.code)
    leave(0)


def leave(code: object) -> None:
    """End the process with ``code`` (as :class:`SystemExit` takes it) without the interpreter's
    teardown, which frees a large build's heap one object at a time (seconds at 10,000
    clients) and has been seen to hang in its last garbage collection when ``serve``'s HTTP
    threads stopped mid-request. By then the command has joined its processes, removed its
    temporary files and said everything; here its output is flushed.

    Under a tracer or profiler (coverage, pyinstrument) the process exits as usual, so that
    they can write what they collected.
    """
    if sys.gettrace() is not None or sys.getprofile() is not None:
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        status = 1
    logging.shutdown()
    _end_multiprocessing()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(status)



def _end_multiprocessing() -> None:
    """What multiprocessing does at a normal exit (``os._exit`` skips it): stop the fork server
    and remove its ``pymp-*`` directory from the temp dir. Never raises: the exit goes on."""
    util = sys.modules.get("multiprocessing.util")
    if util is None:
        return
    try:
        util._exit_function()
    except BaseException:  # noqa: BLE001 - the process is ending with its own status
        pass


if __name__ == "__main__":
    run()
