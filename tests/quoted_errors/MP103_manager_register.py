"""A nested function registered as a manager's callable: start() must pickle it."""

from multiprocessing.managers import BaseManager


class CacheManager(BaseManager):
    pass


def configure() -> None:
    def make_cache() -> dict[str, int]:
        return {}

    CacheManager.register("cache", callable=make_cache)


if __name__ == "__main__":
    configure()
    with CacheManager() as manager:
        print("cache server started:", manager.cache())
