"""``python -m detente``: the same command line as the ``detente`` console script.

A Ctrl-C while the command line is imported is ``interrupted`` and exit 130, as in a command
(:mod:`detente.cli.exits`); only the interpreter's own start-up, before this line runs, is out
of reach.
"""

import sys

try:
    from detente.cli import main
except KeyboardInterrupt:
    sys.stderr.write("interrupted\n")
    raise SystemExit(130) from None

if __name__ == "__main__":
    main()
