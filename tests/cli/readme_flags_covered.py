#!/usr/bin/python3
"""Checks that the README's table "From the Python scripts to podpower" is covered: every flag
(and, for serve, every endpoint) in its "flags kept" column was used, spelled as listed, by a
podpower invocation of that row's command that did its work. original_invocations_test.sh logs
those invocations, one per line, arguments tab-separated (a trailing tab), the binary first;
served endpoints are logged as `<binary> serve POST /path`.

Usage: readme_flags_covered.py README.md DONE.tsv PODPOWER_BINARY [SKIPPED...]
SKIPPED: commands ("labels", "collect watch") or flags ("--sbert-model") the test could not run
here; their flags are reported, not failed. Exit status 1 names the flags nothing used.
"""
import re
import sys


def table_rows(readme_text):
    """[(original, [command words...], [flags...])] from the README's mapping table."""
    section = readme_text.split("## From the Python scripts to podpower", 1)
    if len(section) != 2:
        sys.exit("README: no section 'From the Python scripts to podpower'")
    table = section[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue  # header, separator, the "(none)" row of podpower-only commands
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        original, podpower, kept = cells[0], cells[1], cells[2]
        # `podpower encode fit` / `transform` -> [encode fit], [encode transform]. Parentheses
        # list podpower's extras (collect list, collect from-file), not the original's
        # counterpart.
        commands = []
        for item in re.findall(r"`([^`]+)`", re.sub(r"\(.*?\)", "", podpower)):
            words = item.split()
            if words[0] == "podpower":
                commands.append(words[1:])
            elif commands:
                commands.append(commands[-1][: len(commands[-1]) - len(words)] + words)
        flags = re.findall(r"(?<![\w/-])(--[a-z0-9-]+|/[a-z0-9/-]+)", kept)
        rows.append((original.replace("`", ""), commands, flags))
    if not rows:
        sys.exit("README: the mapping table has no rows")
    return rows


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    readme, done_path, binary = sys.argv[1:4]
    skipped = set(sys.argv[4:])
    runs = []
    for line in open(done_path):
        args = line.rstrip("\n").split("\t")[:-1]
        if args and args[0] == binary:
            runs.append(args[1:])
    missing, checked = [], 0
    rows = table_rows(open(readme).read())
    for original, commands, flags in rows:
        if not commands:
            sys.exit("README: row '%s' names no podpower command" % original)
        names = " / ".join(" ".join(c) for c in commands)
        for flag in flags:
            checked += 1

            def used(run):
                if not any(run[: len(c)] == c for c in commands):
                    return False
                if flag.startswith("/"):  # an endpoint
                    return run[:2] == ["serve", "POST"] and run[2:3] == [flag]
                return any(a == flag or a.startswith(flag + "=") for a in run)

            if any(used(r) for r in runs):
                print("   ok: %s %s -> podpower %s" % (original, flag, names))
            elif flag in skipped or any(" ".join(c) in skipped or c[0] in skipped
                                        for c in commands):
                print("   not run here (skipped above): %s %s" % (original, flag))
            else:
                missing.append("%s %s" % (original, flag))
    if missing:
        sys.exit("README table: no podpower run used " + ", ".join(missing))
    print("   %d flags and endpoints of %d rows checked" % (checked, len(rows)))


if __name__ == "__main__":
    main()
