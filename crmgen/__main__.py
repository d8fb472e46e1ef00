"""``python -m crmgen``: ``check`` and ``due`` take the fast path (:mod:`crmgen.fastpath`) when
they can; everything else, and anything unusual, goes to the Click command line."""

import sys


def run() -> None:
    """The ``crmgen`` command."""
    from crmgen.fastpath import main as fast

    code = fast(sys.argv[1:])
    if code is None:
        from crmgen.cli import main

        main(prog_name="crmgen")
    sys.exit(code)


if __name__ == "__main__":
    run()
