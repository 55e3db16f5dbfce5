#!/usr/bin/env python3
"""Install and log-shipping tests for rsttrace (stdlib only, needs root).

    python3 tests/install/run.py [-k SUBSTR] [-v]

Builds the .deb (make deb), checks it holds the same tree as make install,
installs it on this machine with dpkg -i, runs the installed binary under
the capabilities of the installed systemd unit, verifies the unit, the man
page and the bash completion, ships a real NDJSON stream through a real
rsyslog (shipping.py) and removes the package with dpkg -r and -P, checking
that no file is left. The tests run in order: later ones use the installed
package, the last one removes it.

Output: one "PASS name" / "FAIL name: why" line per test, then
"N passed, N failed".
"""

import argparse
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import nslib  # noqa: E402
import common  # noqa: E402
from common import TESTS, Failure  # noqa: E402
import cases_package  # noqa: E402,F401  (registers tests)
import cases_docs  # noqa: E402,F401
import shipping  # noqa: E402,F401
import cases_kubernetes  # noqa: E402,F401
import cases_systemd  # noqa: E402,F401
import cases_remove  # noqa: E402,F401

TEST_TIMEOUT = 150
PREREQUISITES = ("deb_builds", "dpkg_install")


def on_alarm(signum, frame):
    raise Failure("test took longer than %ds" % TEST_TIMEOUT)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", help="run only tests whose name contains this")
    ap.add_argument("-v", action="store_true", help="details of failures")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("tests/install: needs root (dpkg -i, BPF)")
        print("0 passed, 1 failed")
        return 1
    os.chdir(REPO)
    nslib.remove_stale_namespaces()
    signal.signal(signal.SIGALRM, on_alarm)
    passed = failed = 0
    try:
        for name, fn in TESTS:
            # -k still builds and installs: the other tests need the package.
            if args.k and args.k not in name and name not in PREREQUISITES:
                continue
            start = time.monotonic()
            signal.alarm(TEST_TIMEOUT)
            try:
                fn()
                ok, why = True, ""
            except Failure as e:
                ok, why = False, str(e)
            except Exception as e:  # a broken test is a failed test
                ok, why = False, "%s: %s" % (type(e).__name__, e)
                if args.v:
                    traceback.print_exc()
            finally:
                signal.alarm(0)
                nslib.cleanup()
                common.stop_all()
            took = time.monotonic() - start
            if ok:
                passed += 1
                print("PASS %s (%.1f s)" % (name, took), flush=True)
            else:
                failed += 1
                print("FAIL %s (%.1f s): %s" % (name, took, why), flush=True)
    finally:
        common.leave_clean()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
