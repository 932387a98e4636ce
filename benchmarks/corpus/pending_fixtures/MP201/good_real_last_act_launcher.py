"""A launcher starts two long-running services and has nothing left to do.

Neither service is given a lock, queue or shared value, so nothing has to be
unpickled from the parent late; at exit multiprocessing joins both, and no
finished child is left unreaped.  Shape seen in bot and service launchers."""

import multiprocessing


def serve_chat(token):
    print("chat service up with", len(token), "characters of token")


def send_reminders():
    print("reminder service up")


if __name__ == "__main__":
    chat = multiprocessing.Process(target=serve_chat, args=("abc123",))
    reminders = multiprocessing.Process(target=send_reminders)
    chat.start()
    reminders.start()
