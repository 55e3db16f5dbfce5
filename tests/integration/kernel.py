"""What the running kernel can tell, for the few expectations that differ
by kernel.  The suite runs unchanged on 6.1, 6.12 (make test-kernels) and
the host; where a kernel lacks the information, the test asserts what
rsttrace honestly gives instead, through the functions below.  Each one
names the difference and its reason; run.py lists those a test relied on
(lines "KERNEL name: reason"), and docs/kernels.md keeps the table.

Capabilities are read from the kernel's own BTF (names of enum values),
not from its version: distribution kernels backport."""

import os

BTF = "/sys/kernel/btf/vmlinux"

# (test name, why) of every kernel difference asserted in this run.
used = []
current = [""]


def _btf_names():
    try:
        with open(BTF, "rb") as f:
            return f.read()
    except OSError:
        return b""


_NAMES = _btf_names()


def _has(name):
    return (b"\0" + name.encode() + b"\0") in _NAMES


# 6.15 (a11a791ca81e): the handshake ACK dropped on a full accept queue is
# freed with reason TCP_LISTEN_OVERFLOW.  Before, rsttrace sees that drop
# where tcp_v{4,6}_syn_recv_sock() returns NULL (fexit or kretprobe), which
# carries no drop reason: the event's reason is null.
LISTEN_OVERFLOW_REASON = _has("SKB_DROP_REASON_TCP_LISTEN_OVERFLOW")
# 6.10: enum sk_rst_reason; before it resets carry no reason and rsttrace
# derives one from the socket (reason_source "derived").
RST_REASONS = _has("SK_RST_REASON_NOT_SPECIFIED")
# 6.12: reasons for active resets (close with unread data, linger 0...).
ACTIVE_RST_REASONS = _has("SK_RST_REASON_TCP_ABORT_ON_CLOSE")
# kprobes (the 6.18 development host has them compiled out); the guests'
# kernels have kprobes and fentry.  Resets made by netfilter rules need one.
FUNCTION_HOOKS = any(os.path.exists(d + "/kprobe_events")
                     for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"))


class Skip(Exception):
    """A test whose scenario cannot run here at all: run.py prints
    "SKIP name: why", counts it apart (neither passed nor failed) and lists
    it with the differences ("KERNEL name: skipped: why")."""


def skip(why):
    note("skipped: " + why)
    raise Skip(why)


def need_cpus(n, what):
    """The CPUs a test pins its processes to; skips it where there are
    fewer than n (the QEMU guests of make test-kernels run -smp 1, see
    docs/kernels.md)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < n:
        skip("%s needs %d CPUs, this machine has %d" % (what, n, len(cpus)))
    return cpus


def note(why):
    entry = (current[0], why)
    if entry not in used:
        used.append(entry)


def overflow_drop_reason(name):
    """Expected `reason` of an ACK-path or cookie-path listen_overflow."""
    if LISTEN_OVERFLOW_REASON:
        return name
    note("no TCP_LISTEN_OVERFLOW drop reason before 6.15: ACK/cookie-path "
         "listen_overflow seen at tcp_v4_syn_recv_sock() returning NULL, reason null")
    return None


def overflow_seen_before_reset():
    """True where the ACK-path overflow is seen before the reset that
    tcp_abort_on_overflow=1 sends for it, so that reset links to it."""
    if LISTEN_OVERFLOW_REASON:
        return False
    note("before 6.15 the overflow is seen in tcp_v4_syn_recv_sock(), before "
         "tcp_check_req() sends the abort_on_overflow reset: that reset carries "
         "the overflow (on 6.15+ the drop comes after the reset, overflow null)")
    return True
