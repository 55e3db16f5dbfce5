"""The installed man page and bash completion."""

import gzip
import os
import re
import shutil
import tempfile

import nslib
from common import (BINARY, COMPLETION, MANPAGE, REPO, check, help_options,
                    require_installed, run, test)


def man_text():
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0", MANPAGER="cat",
               PAGER="cat", LANG="C.UTF-8")
    res = run(["man", "-l", MANPAGE], env=env, check_rc=False)
    # man-db's own formatting markup off: plain text to search in.
    return res, re.sub(r".\x08", "", res.stdout)


@test("man_renders_without_warnings")
def man_renders_without_warnings():
    require_installed()
    res, text = man_text()
    check(res.returncode == 0, "man -l exit %d: %s" % (res.returncode, res.stderr))
    check(res.stderr == "", "man -l warns: %s" % res.stderr.strip())
    hyphenated = re.findall(r"\S+\u2010$", text, re.M)
    check(not hyphenated, "names broken by hyphenation: %s" % hyphenated)
    check(text.startswith("RSTTRACE(8)"), "not a section 8 page: %r" % text[:40])
    wide = [line for line in text.splitlines() if len(line) > 80]
    check(not wide, "lines wider than MANWIDTH=80: %s" % wide[:3])
    res = run(["man", "-w", "rsttrace"], check_rc=False)
    check(res.stdout.strip() == MANPAGE, "man -w rsttrace: %r" % res.stdout.strip())


@test("man_lint_clean")
def man_lint_clean():
    require_installed()
    with tempfile.TemporaryDirectory(prefix="rtt-man-") as tmp:
        page = os.path.join(tmp, "rsttrace.8")
        with gzip.open(MANPAGE, "rt") as src, open(page, "w") as dst:
            dst.write(src.read())
        res = run(["groff", "-ww", "-z", "-man", page], check_rc=False)
        check(res.returncode == 0 and not res.stderr.strip(),
              "groff -ww: %s" % res.stderr.strip())
        if shutil.which("mandoc"):
            res = run(["mandoc", "-Tlint", "-Wwarning", page], check_rc=False)
            check(res.returncode == 0 and not (res.stdout + res.stderr).strip(),
                  "mandoc -Tlint: %s" % (res.stdout + res.stderr).strip())


def schema_record_types():
    """Every record type docs/schema.md names in its `type` row, plus the
    stderr records."""
    with open(os.path.join(REPO, "docs", "schema.md")) as f:
        row = next(line for line in f if line.startswith("| `type` |"))
    return set(re.findall(r"`([a-z_]+)`", row)) - {"type"} | {"error", "warning"}


def diagnosis_codes():
    with open(os.path.join(REPO, "docs", "diagnosis.md")) as f:
        text = f.read()
    table = text.split("| code |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))


def help_event_kinds():
    text = run([BINARY, "--help"]).stdout
    # The list may wrap onto the next lines of the help; it ends at ";" or "(".
    m = re.search(r"comma-separated: ([a-z_,\s]+)", text)
    check(m, "--help names no event kinds")
    return [k for k in re.sub(r"\s+", "", m.group(1)).split(",") if k]


@test("man_lists_every_option_event_record_and_code")
def man_lists_everything():
    """The page cannot drift from --help, docs/schema.md, docs/diagnosis.md."""
    require_installed()
    _, text = man_text()
    sections = re.split(r"^([A-Z][A-Z ]+)$", text, flags=re.M)
    by_name = dict(zip(sections[1::2], sections[2::2]))
    for need in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EVENTS", "JSON RECORDS",
                 "DIAGNOSIS CODES", "EXIT STATUS", "EXAMPLES"):
        check(need in by_name, "no %s section" % need)
    options = help_options(BINARY)
    check(len(options) > 20, "--help parsed into only %s" % options)
    # Each option heads an entry of OPTIONS: "-j, --json", "--netns NS".
    heads = set()
    for line in by_name["OPTIONS"].splitlines():
        if re.match(r"^ {7}-", line):
            heads.update(re.findall(r"(--?[A-Za-z0-9][a-z0-9-]*)", line))
    missing = [o for o in options if o not in heads]
    check(not missing, "options of --help not in the man page's OPTIONS: %s" % missing)
    words = set(re.findall(r"[a-z_]+", text))
    missing = [k for k in help_event_kinds() if k not in set(by_name["EVENTS"].split()) and
               not re.search(r"-e %s\b" % k, by_name["EVENTS"])]
    check(not missing, "event kinds of --events not in EVENTS: %s" % missing)
    missing = sorted(t for t in schema_record_types() if t not in words)
    check(not missing, "record types of docs/schema.md not in the page: %s" % missing)
    records = by_name["JSON RECORDS"]
    missing = sorted(t for t in schema_record_types() if t not in records)
    check(not missing, "record types not in JSON RECORDS: %s" % missing)
    codes = diagnosis_codes()
    check(len(codes) >= 15, "docs/diagnosis.md parsed into %s" % codes)
    # A tag shorter than the indent shares its line with the text.
    heads = set(re.findall(r"^ {7}([a-z_]+)(?: |$)", by_name["DIAGNOSIS CODES"], re.M))
    check(codes <= heads, "diagnosis codes not in DIAGNOSIS CODES: %s" % sorted(codes - heads))
    check(heads <= codes, "DIAGNOSIS CODES lists codes docs/diagnosis.md lacks: %s"
          % sorted(heads - codes))
    for status in ("0", "1", "2"):
        check(re.search(r"^ {7}%s(?: |$)" % status, by_name["EXIT STATUS"], re.M),
              "exit status %s not described" % status)


def complete(words):
    """COMPREPLY of the installed completion for a command line whose last
    word is being completed, loaded the way bash-completion loads it."""
    script = r"""
source /usr/share/bash-completion/bash_completion
_completion_loader rsttrace
spec=$(complete -p rsttrace) || exit 3
func=$(echo "$spec" | sed -n 's/.*-F \([^ ]*\).*/\1/p')
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$func" rsttrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
"""
    res = run(["bash", "-c", script, "complete"] + words, check_rc=False)
    check(res.returncode == 0, "completion: exit %d: %s" % (res.returncode, res.stderr))
    return [w for w in res.stdout.splitlines() if w]


@test("bash_completion_completes_options")
def bash_completion_completes_options():
    require_installed()
    check(os.path.isfile(COMPLETION), "no %s" % COMPLETION)
    got = complete(["rsttrace", "--"])
    longs = [o for o in help_options(BINARY) if o.startswith("--")]
    missing = [o for o in longs if o not in got]
    check(not missing, "'rsttrace --<TAB>' lacks %s (got %s)" % (missing, got))
    got = complete(["rsttrace", "--no-s"])
    check(sorted(got) == ["--no-scan", "--no-syn-detector"], "'--no-s<TAB>': %s" % got)
    got = complete(["rsttrace", "-e", "sent,o"])
    check(got == ["sent,overflow"], "'-e sent,o<TAB>': %s" % got)
    got = complete(["rsttrace", "--events", ""])
    check(sorted(got) == sorted(help_event_kinds()), "'--events <TAB>': %s" % got)
    ns = nslib.Netns()
    got = complete(["rsttrace", "--netns", ns.name[:-1]])
    check(ns.name in got, "'--netns %s<TAB>': %s, expected %s" % (ns.name[:-1], got, ns.name))
