"""A lambda written at module level sent through a Pipe: pickle looks it up by name."""

from multiprocessing import Pipe

square = lambda n: n * n  # noqa: E731

if __name__ == "__main__":
    sender, receiver = Pipe()
    sender.send(square)
