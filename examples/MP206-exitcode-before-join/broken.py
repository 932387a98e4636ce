"""Reading exitcode right after start(): the child has not finished, so it is None."""

import multiprocessing


def validate(rows):
    print(f"validated {len(rows)} rows")


if __name__ == "__main__":
    checker = multiprocessing.Process(target=validate, args=([1, 2, 3],))
    checker.start()
    print(f"validation exit code: {checker.exitcode}")
    checker.join(timeout=5)
