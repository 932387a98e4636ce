"""Two stages connected by pipes; the parent reads the last pipe until EOF.

Only pipe ends are handed to the children, and those travel with the spawn
itself, so an early parent exit cannot break them; the parent reads until the
last stage closes its end, and exit joins both stages."""

import multiprocessing


def produce(sender):
    for value in range(5):
        sender.send(value)
    sender.close()


def double(receiver, sender):
    try:
        while True:
            sender.send(receiver.recv() * 2)
    except EOFError:
        sender.close()


if __name__ == "__main__":
    first_in, first_out = multiprocessing.Pipe(duplex=False)
    second_in, second_out = multiprocessing.Pipe(duplex=False)
    multiprocessing.Process(target=produce, args=(first_out,)).start()
    multiprocessing.Process(target=double, args=(first_in, second_out)).start()
    first_out.close()
    first_in.close()
    second_out.close()
    try:
        while True:
            print(second_in.recv())
    except EOFError:
        print("done")
