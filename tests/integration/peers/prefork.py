#!/usr/bin/env python3
"""A pre-fork server for cases_existing.py: the master opens the listening
socket, forks WORKERS workers that share it, and keeps it open itself.
A worker accept()s only when told to, one connection at a time, and keeps
what it accepted, so the test decides which worker holds which connection
and when the accept queue fills up.

    prefork.py ADDR PORT BACKLOG WORKERS

Protocol (as peer.py): "hello pid=MASTER", then one answer per stdin line:
  workers              -> ok PID1,PID2,...   (in fork order)
  accept I             worker I (0-based) accepts one connection
                       -> ok WORKERPID RPORT
  exit                 the workers are stopped, the master exits
Workers die with the master (PR_SET_PDEATHSIG) and never read stdin.
"""

import ctypes
import os
import select
import signal
import socket
import sys

TIMEOUT = 5.0


def worker(lsock, report_w):
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    held = []
    while True:
        info = signal.sigtimedwait([signal.SIGUSR1], 60)
        if info is None:
            os._exit(0)          # the master went quiet: give up (bounded)
        try:
            ready, _, _ = select.select([lsock], [], [], TIMEOUT)
            if not ready:
                raise TimeoutError("nothing to accept")
            conn, peer = lsock.accept()
            held.append(conn)
            msg = "%d %d\n" % (os.getpid(), peer[1])
        except Exception as exc:  # report it: the test decides
            msg = "error %s\n" % exc
        os.write(report_w, msg.encode())


def main():
    addr, port, backlog, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((addr, port))
    lsock.listen(backlog)
    lsock.setblocking(False)     # workers poll, then accept
    report_r, report_w = os.pipe()
    # Block SIGUSR1 before forking so no signal arrives before sigtimedwait.
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    workers = []
    for _ in range(count):
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            os.close(report_r)
            try:
                worker(lsock, report_w)
            finally:
                os._exit(0)
        workers.append(pid)
    os.close(report_w)
    print("hello pid=%d" % os.getpid(), flush=True)
    reports = os.fdopen(report_r)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "exit":
                break
            if words[0] == "workers":
                print("ok " + ",".join(map(str, workers)), flush=True)
            elif words[0] == "accept":
                os.kill(workers[int(words[1])], signal.SIGUSR1)
                ready, _, _ = select.select([reports], [], [], TIMEOUT + 1)
                answer = reports.readline().strip() if ready else "error no answer"
                print(answer if answer.startswith("error") else "ok " + answer, flush=True)
            else:
                print("error unknown command %s" % words[0], flush=True)
    finally:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in workers:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


if __name__ == "__main__":
    main()
