"""Reading exitcode after join(), once the child has finished."""

import multiprocessing


def validate(rows):
    print(f"validated {len(rows)} rows")


if __name__ == "__main__":
    checker = multiprocessing.Process(target=validate, args=([1, 2, 3],))
    checker.start()
    checker.join()
    print(f"validation exit code: {checker.exitcode}")
