"""Reading the list, changing it, then assigning it back stores the change in the Manager."""

from multiprocessing import Manager, Process


def add_scores(scores, name, points):
    for p in points:
        current = scores[name]
        current.append(p)
        scores[name] = current


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
