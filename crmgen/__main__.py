"""``python -m crmgen`` and the ``crmgen`` command: the Click command line."""


def run() -> None:
    """The ``crmgen`` command."""
    from crmgen.cli import main

    main(prog_name="crmgen")


if __name__ == "__main__":
    run()
