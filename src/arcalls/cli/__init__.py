"""The ``arcalls`` command: one sub-command per module ``_cmd_<name>.py`` in this package.

Each command module defines ``NAME``, ``HELP`` and ``register(parser)`` (adds its
arguments and sets ``func``, a callable ``(args) -> int``). Commands are discovered
here, so adding one never touches this file. Errors a user can fix reach stderr as one
paragraph with exit code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback

from .._text import safe_terminal
from ..errors import ArcallsError
from ._terminal import fitted_output
from ._wording import cli_terms

#: Exit codes: 0 done, 1 ``check`` found problems, 2 bad input or output, 3 a bug in
#: arcalls (an error it did not expect), 130 Ctrl-C.
EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arcalls",
        description="Chase unpaid invoices by phone, from your own CSV exports.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_cmd_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        # SUPPRESS: unless given after the command, the sub-parser must not reset the
        # top-level --debug to False (argparse copies sub-parser defaults over it).
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        module.register(command)
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def run() -> int:
    """The ``arcalls`` program (its console script and ``python -m arcalls.cli``):
    :func:`main` in a process of its own, whose allocator it may choose
    (:func:`arcalls._memory.use_system_allocator`)."""
    from .._memory import use_system_allocator

    use_system_allocator()
    return main()


def main(argv: list[str] | None = None) -> int:
    """Run the ``arcalls`` command line; return the exit code.

    Everything printed goes through :func:`arcalls._text.terminal_text`: names and
    values from the user's files never send control characters or escape sequences to
    the terminal.
    """
    with safe_terminal(), fitted_output():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or EXIT_OK)
    except ArcallsError as exc:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(f"arcalls {args.command}: {cli_terms(str(exc))}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(f"arcalls {args.command}: interrupted; no output was changed.\n")
        return EXIT_INTERRUPTED
    except OSError as exc:
        if args.debug:
            traceback.print_exc()
        name = f" {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"arcalls {args.command}: cannot use{name}: {exc.strerror or exc}.\n")
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last guard: no traceback for a user
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(
            f"arcalls {args.command}: unexpected error ({type(exc).__name__}: {exc}). This is "
            "a bug in arcalls, not in your files: please report it with the output of the "
            "same command run with --debug.\n"
        )
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
