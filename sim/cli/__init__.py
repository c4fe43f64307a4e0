"""The ``parksim`` command line: ``run``, ``check``, ``audit``, ``init`` … ``sweep``.

The commands: ``run | check | audit | init | compare | map | solve | calibrate |
sensitivity | sweep``.

One module per command (``sim/cli/<command>.py``), each with ``add(commands)``, which
registers its arguments, and ``run(args, argv)``, which carries it out; what they share
is in :mod:`sim.cli._common`. :func:`main` parses, dispatches and turns every
:class:`~sim.errors.SimError` into one message on stderr.

Exit codes: 0 ok, 2 bad input (one message, no traceback), 1 internal error, 3 some
variants of a sweep failed (the others finished), 130 interrupted (Ctrl-C), 143
terminated (SIGTERM); after 130 and 143 earlier outputs are untouched. Heavy
libraries are imported inside the commands so that ``parksim --help`` is quick.
"""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Sequence

from sim.cli import audit, calibrate, check, compare, init, report, run, sensitivity, solve, sweep
from sim.cli import map as map_
from sim.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    Terminated,
    handle_sigterm,
)

__all__ = ["main"]

_EPILOG = """examples:
  parksim run scenarios/qingdao_2012.toml                 # outputs in out/qingdao_2012/
  parksim run scenarios/qingdao_2012.toml --out /tmp/qd   # somewhere else
  parksim check scenarios/qingdao_2012.toml               # validate only
  parksim audit scenarios/qingdao_2012.toml               # capacity, consistency, rules
  parksim init 地块.shp --park-field 园区 --out plan.toml  # a scenario from your parcels
  parksim compare scenarios/qingdao_2012.toml plan.toml   # scenarios side by side
  parksim map scenarios/qingdao_2012.toml --kind status --year 2016 --out status.pdf
  parksim solve plan.toml --target "floor_completed total 2016 1000万 m2" --lever PATH=LOW:HIGH
  parksim calibrate plan.toml --observed observed.csv --fit PATH=LOW:HIGH
  parksim sensitivity scenarios/qingdao_2012_uncertain.toml --method sobol
  parksim sweep sweeps/qingdao_land_supply.toml --workers 2   # variants on Dask, resumable
"""

#: The commands, in the order ``--help`` lists them.
_COMMANDS = (run, check, audit, init, compare, map_, report, solve, calibrate, sensitivity, sweep)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parksim",
        description="Land-use and park-capacity planning simulator.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        command.add(commands).set_defaults(handler=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    args = _parser().parse_args(argv)
    from sim.errors import SimError
    from sim.memory import avoid_huge_page_stalls

    avoid_huge_page_stalls()

    line = list(sys.argv if argv is None else ["parksim", *argv])
    previous = handle_sigterm()
    try:
        return int(args.handler(args, line))
    except SimError as exc:
        print(f"parksim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("parksim: interrupted; earlier outputs are untouched", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("parksim: terminated; earlier outputs are untouched", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"parksim: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in parksim, not in your input; rerun with --debug for details.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
