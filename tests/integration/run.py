#!/usr/bin/env python3
"""Integration tests for rsttrace (stdlib only, needs root).

    python3 tests/integration/run.py [--bin PATH] [-k SUBSTR] [-v] [--scenarios-only]

Each test builds throw-away network namespaces, starts `rsttrace --json`,
provokes TCP resets or listen overflows with peer.py processes, and checks
the NDJSON events field by field against docs/schema.md and the kernel's
own SNMP counters (nstat) of the namespaces involved.  The tracer sees every
namespace, so events are selected by their netns inode.

A failure message starting with "scenario:" means the traffic did not do
what the test intended (a test or environment problem), not a tracer bug.
--scenarios-only runs the scenarios and those checks without the tracer.

Output: one "PASS name" / "FAIL name: why" line per test, then
"N passed, N failed" (", N skipped" when a test could not run here at
all: "SKIP name: why", kernel.py).  A test that failed while its tracer
reported overflows no hook saw runs once more, after a "RERUN name: why"
line; "UNSEEN name: what" lines after the results name each count a test
accepted only with what the tracer reported unseen (docs/truth.md
"Softirqs no hook saw").  -v writes, for failed tests, the tracer's stderr,
the events of the test's namespaces and the offending events to stderr.
"""

import argparse
import os
import signal
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import kernel  # noqa: E402
import nslib  # noqa: E402
import harness  # noqa: E402
from harness import TESTS, UNSEEN, Checks, TestFailure  # noqa: E402
from tracer import TracerError  # noqa: E402
import cases_traffic  # noqa: E402,F401  (registers tests)
import cases_filters  # noqa: E402,F401
import cases_cli  # noqa: E402,F401
import cases_explain  # noqa: E402,F401
import cases_existing  # noqa: E402,F401
import cases_env  # noqa: E402,F401
import cases_client  # noqa: E402,F401
import cases_containers  # noqa: E402,F401
import cases_metrics  # noqa: E402,F401
import cases_truth  # noqa: E402,F401
import cases_firewall  # noqa: E402,F401
import cases_limits  # noqa: E402,F401

TEST_TIMEOUT = int(60 * nslib.TIME_SCALE)  # seconds per test, enforced with SIGALRM


class TestTimeout(Exception):
    pass


class Ctx:
    def __init__(self, binary, verbose, scenarios_only):
        self.binary, self.verbose, self.scenarios_only = binary, verbose, scenarios_only


def on_alarm(signum, frame):
    raise TestTimeout("test took longer than %ds" % TEST_TIMEOUT)


def run_test(ctx, fn):
    """-> (passed, why, details).  Whatever happens, the test's processes
    and namespaces are gone afterwards."""
    check = Checks()
    signal.alarm(TEST_TIMEOUT)
    try:
        fn(ctx, check)
        check.finish()
        return True, "", []
    except kernel.Skip as exc:
        return None, str(exc), []
    except TestFailure as exc:
        return False, str(exc), check.details
    except (TracerError, nslib.PeerError, TestTimeout) as exc:
        return False, "; ".join(filter(None, [str(exc), check.summary()])), check.details
    except Exception as exc:  # a bug in the test or the environment
        return False, "error: %r" % exc, check.details + [traceback.format_exc()]
    finally:
        signal.alarm(0)
        nslib.cleanup()


def unattributed_overflows(runs):
    return sum(u.get("count", 0) for run in runs for u in run.unattributed
               if u.get("event") in ("listen_overflow", "syn_queue_overflow"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.path.join(REPO, "rsttrace"),
                        help="rsttrace binary (default: rsttrace at the repo root)")
    parser.add_argument("-k", default="", metavar="SUBSTR",
                        help="only tests whose name contains SUBSTR (or one of SUBSTR,SUBSTR...)")
    parser.add_argument("-v", action="store_true", help="details of failures on stderr")
    parser.add_argument("--shard", default="0/1", metavar="I/N",
                        help="only every N-th test from the I-th (guests run shards at once)")
    parser.add_argument("--scenarios-only", action="store_true",
                        help="run the scenarios and their counter checks without the tracer")
    opts = parser.parse_args()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run finally/atexit cleanup

    if os.geteuid() != 0:
        print("FAIL root: the integration tests need root (network namespaces, BPF)")
        print("0 passed, 1 failed")
        return 1
    nslib.remove_stale_namespaces()
    ctx = Ctx(os.path.abspath(opts.bin), opts.v, opts.scenarios_only)
    passed = failed = skipped = 0
    shard, shards = (int(x) for x in opts.shard.split("/"))
    for index, (name, fn, tracer_only) in enumerate(TESTS):
        if not any(k in name for k in opts.k.split(",")) or (tracer_only and ctx.scenarios_only):
            continue
        if index % shards != shard:
            continue
        if not ctx.scenarios_only and not os.access(ctx.binary, os.X_OK):
            ok, why, details = False, "no executable tracer at %s" % ctx.binary, []
        else:
            kernel.current[0] = name
            del harness.RUNS[:]
            ok, why, details = run_test(ctx, fn)
            silent = unattributed_overflows(harness.RUNS)
            if ok is False and silent:
                # The tracer said it missed what the kernel counted: once
                # more, said out loud (docs/truth.md "Softirqs no hook saw").
                print("RERUN %s: %s; the tracer reported %d overflow(s) the kernel "
                      "counted and no hook saw" % (name, why.replace("\n", " "), silent),
                      flush=True)
                if ctx.verbose and details:
                    print("--- %s (first run)\n%s" % (name, "\n".join(details)),
                          file=sys.stderr, flush=True)
                del harness.RUNS[:]
                ok, why, details = run_test(ctx, fn)
        if ok is None:
            skipped += 1
            print("SKIP %s: %s" % (name, why), flush=True)
        elif ok:
            passed += 1
            print("PASS %s" % name, flush=True)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, why.replace("\n", " ")), flush=True)
            if ctx.verbose and details:
                print("--- %s\n%s" % (name, "\n".join(details)), file=sys.stderr, flush=True)
    # What this kernel could not tell, and what the tests asserted instead.
    for name, why in kernel.used:
        print("KERNEL %s: %s" % (name, why))
    for name, why in UNSEEN:
        print("UNSEEN %s: %s" % (name, why))
    print("%d passed, %d failed%s" % (passed, failed,
                                      ", %d skipped" % skipped if skipped else ""))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
