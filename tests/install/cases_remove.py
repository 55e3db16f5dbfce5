"""dpkg -r and dpkg -P leave nothing behind (runs last)."""

import os

from common import (BINARY, check, dpkg, installed_files, package_installed,
                    require_installed, run, test)

CONFFILES = ["/etc/default/rsttrace", "/etc/logrotate.d/rsttrace"]


@test("dpkg_remove_and_purge_leave_nothing")
def dpkg_remove_and_purge_leave_nothing():
    require_installed()
    # No run of the installed binary outlived its test.
    running = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink("/proc/%s/exe" % pid) == BINARY:
                running.append(int(pid))
        except OSError:
            pass
    check(not running, "%s still running as pid %s" % (BINARY, running))
    files = installed_files()
    check(BINARY in files, "dpkg -L lacks %s" % BINARY)
    # What a service run leaves: a log file in the package's directory.
    with open("/var/log/rsttrace/rsttrace.ndjson", "a") as f:
        f.write('{"schema":2,"type":"summary"}\n')
    dpkg(["-r", "rsttrace"])
    check(not package_installed(), "still installed after dpkg -r")
    left = [p for p in files + ["/usr/share/doc/rsttrace"]
            if os.path.lexists(p) and p not in CONFFILES]
    check(not left, "dpkg -r left %s" % left)
    for p in CONFFILES:
        check(os.path.exists(p), "dpkg -r removed conffile %s (only purge should)" % p)
    dpkg(["-P", "rsttrace"])
    left = [p for p in files + ["/var/log/rsttrace"] if os.path.lexists(p)]
    check(not left, "dpkg -P left %s" % left)
    # Nothing anywhere a package or the systemd helpers put state.
    res = run(["find", "/etc", "/usr", "/var/lib/dpkg/info", "/var/lib/systemd", "/var/log",
               "-name", "*rsttrace*"], check_rc=False)
    check(not res.stdout.strip(), "after dpkg -P: %s" % res.stdout.split())
    res = run(["dpkg-query", "-W", "rsttrace"], check_rc=False)
    check(res.returncode != 0, "dpkg still knows the package: %s" % res.stdout)
    check(not os.path.exists(BINARY), "binary still there")
