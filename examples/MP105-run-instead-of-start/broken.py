"""Calling run() instead of start(): the job runs in the parent, not in a child."""

import multiprocessing


def crunch(job):
    name = multiprocessing.current_process().name
    print(f"job {job} ran in {name}")


if __name__ == "__main__":
    for job in range(3):
        worker = multiprocessing.Process(target=crunch, args=(job,))
        worker.run()  # calls crunch() right here, one job after the other
    print("all jobs finished")
