import sys

from mplint.cli import main

if __name__ == "__main__":
    sys.exit(main())
