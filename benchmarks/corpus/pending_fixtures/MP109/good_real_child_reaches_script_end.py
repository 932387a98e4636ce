"""The child's branch does not exit, but nothing follows the if: both
processes reach the end of main() and of the script, so no code meant for the
parent runs in the child."""

import os


def main():
    if os.fork() == 0:
        print("child says hi")
    else:
        os.wait()
        print("parent says hi")


if __name__ == "__main__":
    main()
