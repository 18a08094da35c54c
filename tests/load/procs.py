"""The processes of a running stack, found from its ports, and their CPU time and memory (Linux /proc).

The stack is found from the ports it listens on, never by process name (several stacks may run on
one machine, e.g. `make run` and `make test`): the process listening on the gateway's port is the
gateway, the one listening on the AWS endpoint's port is the endpoint (`infra.cloud.server`), and
every descendant of theirs is grouped by what it is: DynamoDB Local (java), a Lambda worker (by
its handler), or something else.

    snap = snapshot(stack_processes(8000, 4566))   # before a run
    ...
    snap2 = snapshot(stack_processes(8000, 4566))  # after (workers started meanwhile included)
    cpu_by_group(snap, snap2)                       # {"gateway": 2.1, "worker inventory...": 4.7, ...} seconds
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
LISTEN = "0A"
GATEWAY, ENDPOINT, DYNAMODB = "gateway", "endpoint (infra.cloud.server)", "dynamodb-local (java)"
EXITED = "exited during the run (reaped children)"


@dataclass(frozen=True)
class Stat:
    """What /proc/<pid>/stat says that matters here."""
    pid: int
    comm: str
    ppid: int
    cpu_ticks: int          # utime + stime
    children_ticks: int     # cutime + cstime: reaped children
    start_ticks: int        # starttime: with pid, the identity of a process
    rss_pages: int


def parse_stat(text: str) -> Stat:
    """One /proc/<pid>/stat line (comm may contain spaces and parentheses)."""
    head, _, rest = text.rpartition(")")
    pid_text, _, comm = head.partition(" (")
    fields = rest.split()
    # fields[0] is field 3 (state); field N is fields[N - 3]
    return Stat(pid=int(pid_text), comm=comm, ppid=int(fields[1]),
                cpu_ticks=int(fields[11]) + int(fields[12]), children_ticks=int(fields[13]) + int(fields[14]),
                start_ticks=int(fields[19]), rss_pages=int(fields[21]))


def read_stat(pid: int) -> Stat | None:
    try:
        return parse_stat((PROC / str(pid) / "stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


def read_cmdline(pid: int) -> list[str]:
    try:
        return [part for part in (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0") if part]
    except OSError:
        return []


def read_environ(pid: int) -> dict[str, str]:
    try:
        raw = (PROC / str(pid) / "environ").read_bytes().decode(errors="replace")
    except OSError:
        return {}
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def listening_inodes(tcp_table: str, port: int) -> set[str]:
    """Socket inodes listening on ``port`` in the text of /proc/net/tcp or tcp6."""
    inodes = set()
    for line in tcp_table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != LISTEN:
            continue
        if int(fields[1].rpartition(":")[2], 16) == port:
            inodes.add(fields[9])
    return inodes


def all_pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def pids_listening(port: int) -> set[int]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            inodes |= listening_inodes((PROC / "net" / table).read_text(), port)
        except OSError:
            pass
    if not inodes:
        return set()
    targets = {f"socket:[{inode}]" for inode in inodes}
    found = set()
    for pid in all_pids():
        try:
            for fd in (PROC / str(pid) / "fd").iterdir():
                if os.readlink(fd) in targets:
                    found.add(pid)
                    break
        except OSError:
            continue
    return found


def children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for pid in all_pids():
        stat = read_stat(pid)
        if stat is not None:
            children.setdefault(stat.ppid, []).append(pid)
    return children


def descendants(roots: set[int], children: dict[int, list[int]]) -> set[int]:
    seen: set[int] = set()
    todo = [child for root in roots for child in children.get(root, [])]
    while todo:
        pid = todo.pop()
        if pid not in seen and pid not in roots:
            seen.add(pid)
            todo.extend(children.get(pid, []))
    return seen


def classify(cmdline: list[str], environ: dict[str, str] | None = None, parent_role: str = "") -> str:
    """The group of a process below the gateway or the endpoint, from its command line."""
    if len(cmdline) == 1 and " " in cmdline[0]:   # a process title set after fork (setproctitle): one string
        cmdline = cmdline[0].split()
    if cmdline and Path(cmdline[0]).name.startswith("java") and any("DynamoDBLocal" in part for part in cmdline):
        return DYNAMODB
    if "awslambdaric" in cmdline:
        rest = cmdline[cmdline.index("awslambdaric") + 1:]
        return f"worker {rest[0]}" if rest else "worker"
    handler = (environ or {}).get("_HANDLER")
    if handler:
        return f"worker {handler}"
    if "-m" in cmdline[:-1]:
        what = cmdline[cmdline.index("-m") + 1]
    else:
        what = Path(cmdline[0]).name if cmdline else "?"
    return f"{parent_role} child {what}".strip()


def stack_processes(gateway_port: int, endpoint_port: int) -> dict[int, str]:
    """pid -> group for every process of the stack serving these two ports."""
    children = children_map()
    roles: dict[int, list[str]] = {}
    for port, role in ((gateway_port, GATEWAY), (endpoint_port, ENDPOINT)):
        listening = pids_listening(port)
        # a child forked by a listening process holds its socket too until it execs (or for good,
        # in a pre-fork server): the roots are the listeners whose ancestors do not listen
        for pid in listening - descendants(listening, children):
            roles.setdefault(pid, []).append(role)
    groups = {pid: " + ".join(names) for pid, names in roles.items()}
    for root, role in list(groups.items()):
        short = "gateway" if role == GATEWAY else "endpoint"
        for pid in descendants({root}, children):
            if pid not in groups:
                cmdline = read_cmdline(pid)
                environ = None if "awslambdaric" in cmdline else read_environ(pid)
                groups[pid] = classify(cmdline, environ, short)
    return groups


@dataclass(frozen=True)
class Snapshot:
    stats: dict[int, Stat]   # pid -> stat
    groups: dict[int, str]   # pid -> group


def snapshot(groups: dict[int, str], extra: dict[int, str] | None = None) -> Snapshot:
    groups = {**groups, **(extra or {})}
    stats = {pid: stat for pid in groups if (stat := read_stat(pid)) is not None}
    return Snapshot(stats, {pid: groups[pid] for pid in stats})


def cpu_by_group(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds spent by each group between two snapshots.

    A process that appears in ``after`` only (a worker started meanwhile) counts from zero. A
    process that exited meanwhile is counted through its parent's cutime+cstime (what the parent
    reaped), less what it had already used at ``before``: that goes to the group EXITED."""
    seconds: dict[str, float] = {}
    for pid, stat in after.stats.items():
        old = before.stats.get(pid)
        used = stat.cpu_ticks - (old.cpu_ticks if old and old.start_ticks == stat.start_ticks else 0)
        group = after.groups[pid]
        seconds[group] = seconds.get(group, 0.0) + used / CLK_TCK
    reaped = 0
    for pid, stat in after.stats.items():
        old = before.stats.get(pid)
        if old and old.start_ticks == stat.start_ticks:
            reaped += stat.children_ticks - old.children_ticks
    gone = sum(old.cpu_ticks for pid, old in before.stats.items()
               if pid not in after.stats or after.stats[pid].start_ticks != old.start_ticks)
    if reaped - gone > 0:
        seconds[EXITED] = (reaped - gone) / CLK_TCK
    return seconds


def rss_by_group(snap: Snapshot) -> dict[str, tuple[int, int]]:
    """group -> (processes, RSS bytes)."""
    out: dict[str, tuple[int, int]] = {}
    for pid, stat in snap.stats.items():
        count, rss = out.get(snap.groups[pid], (0, 0))
        out[snap.groups[pid]] = (count + 1, rss + stat.rss_pages * PAGE_SIZE)
    return out


def port_of(url: str) -> int:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def dynamodb_local_url(groups: dict[int, str]) -> str | None:
    """The URL of the stack's DynamoDB Local (its java process's -port), as the workers reach it."""
    for pid, group in groups.items():
        if group == DYNAMODB:
            cmdline = read_cmdline(pid)
            if "-port" in cmdline[:-1]:
                return f"http://127.0.0.1:{cmdline[cmdline.index('-port') + 1]}"
    return None


def root_cwd(groups: dict[int, str], group: str) -> Path | None:
    """The working directory of the stack's process of ``group`` (the checkout `make run` runs from)."""
    for pid, name in groups.items():
        if name == group or group in name.split(" + "):
            try:
                return Path(os.readlink(PROC / str(pid) / "cwd"))
            except OSError:
                return None
    return None
