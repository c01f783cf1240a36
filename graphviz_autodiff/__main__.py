"""``python -m graphviz_autodiff <command> ...``: see :mod:`graphviz_autodiff.cli`."""

import sys

from graphviz_autodiff.cli import main

if __name__ == "__main__":
    sys.exit(main())
