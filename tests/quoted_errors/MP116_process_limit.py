"""fork() past the process limit (a limit of one process for this user) fails."""
# start-method: fork

import os
import resource

if __name__ == "__main__":
    if os.geteuid() == 0:  # the limit does not apply to root: become nobody
        os.setgid(65534)
        os.setuid(65534)
    resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
