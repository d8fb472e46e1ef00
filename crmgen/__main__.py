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


def command_of(argv: list[str]) -> str | None:
    """The command named by ``argv`` after the group's own options (``-C DIR``, ``--debug``)."""
    args = iter(argv)
    for arg in args:
        if arg == "-C":
            next(args, None)
        elif arg == "--debug" or (arg.startswith("-C") and len(arg) > 2):
            continue
        elif arg.startswith("-"):
            return None  # --help, --version, or an option Click will explain
        else:
            return arg
    return None


if __name__ == "__main__":
    run()
