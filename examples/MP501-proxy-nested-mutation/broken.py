"""Appending to a list stored in a Manager dict changes a local copy: the scores are lost."""

from multiprocessing import Manager, Process


def add_scores(scores, name, points):
    for p in points:
        scores[name].append(p)


if __name__ == "__main__":
    with Manager() as manager:
        scores = manager.dict({"ada": [], "bob": []})
        workers = [
            Process(target=add_scores, args=(scores, "ada", [3, 5])),
            Process(target=add_scores, args=(scores, "bob", [4])),
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        print("scores:", dict(scores))
