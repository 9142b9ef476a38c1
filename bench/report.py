"""Turning recorders into results, results of repeated runs into medians, and medians into the table."""

from __future__ import annotations

import collections
import dataclasses
import math
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from bench.stats import median, percentile, ratio
from bench.system import Facts
from bench.workload import Plan, Recorder


@dataclasses.dataclass
class Usage:
    """CPU and memory over the load window (from the first send to the end of the drain)."""

    wall_s: float
    server_cpu_s: float
    client_cpu_s: float
    server_rss_mib: float


@dataclasses.dataclass
class RunResult:
    system: str
    # Speed: the median over repeated runs is quoted.
    msgs_per_s: float  # messages delivered per second, both directions (visitor questions and agent replies)
    p50_ms: float  # visitor -> agent delivery latency
    p90_ms: float
    p99_ms: float
    max_ms: float
    reply_p50_ms: float  # agent -> visitor
    reply_p99_ms: float
    server_cpu_pct: float  # of one core
    server_cpu_ms_per_msg: float
    server_rss_mib: float
    client_cpu_pct: float
    ack_p50_ms: float  # chatsvc only: a visitor's send to its ack, i.e. to the commit (NaN for the relay)
    ack_p99_ms: float
    # How late the benchmark's own pacer fired: high means the client, not the server, lagged.
    client_lag_p99_ms: float
    # Correctness: counts, added up over repeated runs.
    connections_open: int
    connections_expected: int
    sent: int
    acked: int
    delivered: int
    lost: int  # acked (or, for the relay, written) but never delivered
    duplicates: int  # deliveries to the receiving client beyond the first
    replies_acked: int
    replies_lost: int
    errors: dict[str, int]
    reconnects: int
    gaps: int
    duplicates_dropped: int
    transcripts_checked: int
    transcripts_differing: int
    server_log: list[str]

    @property
    def ack_ms_known(self) -> bool:
        return not math.isnan(self.ack_p50_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def result_of(system: str, recorder: Recorder, facts: Facts, usage: Usage) -> RunResult:
    latencies = sorted(recorder.latencies_ms)
    replies = sorted(recorder.reply_latencies_ms)
    span_s = max(1e-9, (recorder.last_delivered_ns - recorder.started_ns) / 1e9)
    return RunResult(
        system=system,
        msgs_per_s=recorder.delivered_total / span_s if recorder.delivered_total else 0.0,
        p50_ms=percentile(latencies, 50),
        p90_ms=percentile(latencies, 90),
        p99_ms=percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else math.nan,
        reply_p50_ms=percentile(replies, 50),
        reply_p99_ms=percentile(replies, 99),
        server_cpu_pct=100 * usage.server_cpu_s / usage.wall_s,
        server_cpu_ms_per_msg=1000 * usage.server_cpu_s / max(1, recorder.delivered_total),
        server_rss_mib=usage.server_rss_mib,
        client_cpu_pct=100 * usage.client_cpu_s / usage.wall_s,
        ack_p50_ms=percentile(recorder.ack_ms, 50),
        ack_p99_ms=percentile(recorder.ack_ms, 99),
        client_lag_p99_ms=percentile(recorder.lateness_ms, 99),
        connections_open=facts.connections_open,
        connections_expected=facts.connections_expected,
        sent=recorder.sent,
        acked=len(recorder.acked),
        delivered=len(recorder.delivered),
        lost=sum(1 for key in recorder.acked if not recorder.delivered[key]),
        duplicates=sum(n - 1 for n in recorder.delivered.values() if n > 1)
        + sum(n - 1 for n in recorder.replies_delivered.values() if n > 1),
        replies_acked=len(recorder.replies_acked),
        replies_lost=sum(1 for key in recorder.replies_acked if not recorder.replies_delivered[key]),
        errors=dict(recorder.errors),
        reconnects=facts.reconnects,
        gaps=facts.gaps,
        duplicates_dropped=facts.duplicates_dropped,
        transcripts_checked=facts.transcripts_checked,
        transcripts_differing=facts.transcripts_differing,
        server_log=facts.server_log,
    )


def combine(runs: Sequence[RunResult]) -> RunResult:
    """Speed figures: the median run by run. Counts: the totals (one lost message in any run is one too many).
    Connections: the fewest held at the end of any run."""
    first = runs[0]
    errors: collections.Counter[str] = collections.Counter()
    for run in runs:
        errors.update(run.errors)
    values: dict[str, object] = {}
    for field in dataclasses.fields(RunResult):
        name = field.name
        if name == "system":
            values[name] = first.system
        elif field.type == "float":  # every speed figure is a float, every count an int
            values[name] = median([getattr(run, name) for run in runs])
        elif name in ("connections_open", "connections_expected"):
            values[name] = min(getattr(run, name) for run in runs)
        elif name == "errors":
            values[name] = dict(errors)
        elif name == "server_log":
            values[name] = [line for run in runs for line in run.server_log]
        else:
            values[name] = sum(getattr(run, name) for run in runs)
    return RunResult(**values)  # type: ignore[arg-type]


def _num(value: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def _ratio(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}x"


def machine_facts() -> str:
    versions = ", ".join(f"{name} {_version(name)}" for name in ("websockets", "uvicorn", "starlette"))
    return (
        f"{os.cpu_count()} cores ({platform.machine()}, {platform.system()} {platform.release()}), "
        f"Python {platform.python_version()} ({platform.python_implementation()}), {versions}"
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def revision() -> str:
    """Which chatsvc was measured: the commit of the tree it was imported from (``-dirty`` when the tree differs
    from it), or its path when that is no git tree (an export of an older revision on PYTHONPATH)."""
    import chatsvc

    where = Path(chatsvc.__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            check=False,
            capture_output=True,
            text=True,
            timeout=5,
            cwd=where,
        )
    except (OSError, subprocess.SubprocessError):
        return f"chatsvc from {where}"
    described = done.stdout.strip() if done.returncode == 0 else ""
    return f"chatsvc at {described}" if described else f"chatsvc from {where}"


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return math.nan


def render(
    plan: Plan,
    results: Sequence[RunResult],
    reference: RunResult | None,
    repeat: int,
    command: str,
    load_before: float,
) -> str:
    lines = [
        "chatsvc load benchmark",
        (
            f"  load:    {plan.visitors} visitors, {plan.agents} agents ({plan.capacity} chats each); "
            f"each visitor sends {plan.messages} messages of {plan.size} characters, one every "
            f"{plan.interval * 1000:.0f} ms (+/-{plan.jitter:.0%}), for {plan.duration:.0f} s "
            f"= {plan.offered_rate:,.0f} msg/s offered; agents answer every "
            f"{plan.reply_every or 'no'}{_nth(plan.reply_every)} message"
        ),
        f"  machine: {machine_facts()}",
        # Anything else running on these cores slows both systems alike, but it makes the figures noisier.
        f"  busy:    load average (1 min) {_num(load_before, 2)} before the runs, {_num(load_average(), 2)} after",
        f"  command: {command}  ({revision()})",
        (
            f"  figures: {'median of ' + str(repeat) + ' runs' if repeat > 1 else 'one run'} "
            "(counts below the table are totals over all runs)"
        ),
        "",
    ]
    w = max(len(_ratio_label(r)) for r in results) + 2  # the first column fits the longest label
    header = (
        f"{'system':<{w}}{'conns':>7}{'msgs/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'reply p50':>11}{'reply p99':>11}{'srv CPU%':>10}{'CPU ms/msg':>12}{'srv MiB':>9}{'cli CPU%':>10}"
    )
    lines += [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.system:<{w}}{r.connections_open:>7}{_num(r.msgs_per_s):>9}{_num(r.p50_ms, 2):>9}"
            f"{_num(r.p90_ms, 2):>9}{_num(r.p99_ms, 2):>9}{_num(r.max_ms, 1):>9}{_num(r.reply_p50_ms, 2):>11}"
            f"{_num(r.reply_p99_ms, 2):>11}{_num(r.server_cpu_pct):>10}{_num(r.server_cpu_ms_per_msg, 3):>12}"
            f"{_num(r.server_rss_mib, 0):>9}{_num(r.client_cpu_pct):>10}"
        )
    for r in results:
        if reference is None or r is reference:
            continue
        lines.append(
            f"{_ratio_label(r):<{w}}{'':>7}"
            f"{_ratio(ratio(r.msgs_per_s, reference.msgs_per_s)):>9}{_ratio(ratio(r.p50_ms, reference.p50_ms)):>9}"
            f"{_ratio(ratio(r.p90_ms, reference.p90_ms)):>9}{_ratio(ratio(r.p99_ms, reference.p99_ms)):>9}"
            f"{_ratio(ratio(r.max_ms, reference.max_ms)):>9}"
            f"{_ratio(ratio(r.reply_p50_ms, reference.reply_p50_ms)):>11}"
            f"{_ratio(ratio(r.reply_p99_ms, reference.reply_p99_ms)):>11}"
            f"{_ratio(ratio(r.server_cpu_pct, reference.server_cpu_pct)):>10}"
            f"{_ratio(ratio(r.server_cpu_ms_per_msg, reference.server_cpu_ms_per_msg)):>12}"
            f"{_ratio(ratio(r.server_rss_mib, reference.server_rss_mib)):>9}"
        )
    lines.append("")
    for r in results:
        lines.append(f"{r.system}: {_integrity(r)}")
        lines.append(f"  {_health(r)}")
        for line in r.server_log[:5]:
            lines.append(f"  server log: {line[:160]}")
        if len(r.server_log) > 5:
            lines.append(f"  server log: ... {len(r.server_log) - 5} more lines")
    return "\n".join(lines)


def _ratio_label(r: RunResult) -> str:
    return f"ratio {r.system.removeprefix('chatsvc ')}/relay"


def _nth(n: int) -> str:
    if not n:
        return ""
    return {1: "st", 2: "nd", 3: "rd"}.get(n if n < 20 else n % 10, "th")


def _integrity(r: RunResult) -> str:
    exact = r.lost == 0 and r.duplicates == 0 and r.replies_lost == 0 and r.acked == r.sent
    verdict = "every message delivered exactly once" if exact else "MESSAGES LOST, DUPLICATED OR NOT ACKED"
    parts = [
        (
            f"{verdict}: sent {r.sent:,}, acked {r.acked:,}, delivered {r.delivered:,}, lost {r.lost}, "
            f"duplicated {r.duplicates}; replies acked {r.replies_acked:,}, lost {r.replies_lost}"
        ),
    ]
    if r.transcripts_checked:
        parts.append(
            f"transcripts identical on both sides: {r.transcripts_checked - r.transcripts_differing}"
            f"/{r.transcripts_checked}"
        )
    return "; ".join(parts)


def _health(r: RunResult) -> str:
    errors = ", ".join(f"{kind} x{n}" for kind, n in sorted(r.errors.items())) or "none"
    return (
        f"connections held {r.connections_open}/{r.connections_expected}, reconnects {r.reconnects}, "
        f"seq gaps {r.gaps}, duplicates dropped by the client {r.duplicates_dropped}, errors: {errors}; "
        + (
            f"send to ack p50 {_num(r.ack_p50_ms, 2)} ms, p99 {_num(r.ack_p99_ms, 2)} ms; "
            if r.ack_ms_known
            else ""
        )
        + f"client pacer lag p99 {_num(r.client_lag_p99_ms, 1)} ms"
    )


def command_line() -> str:
    args = " ".join(sys.argv[1:])
    return f"{os.path.relpath(sys.executable)} -m bench.load{' ' + args if args else ''}"


def timeline(system: str, recorder: Recorder, bucket_s: float = 1.0) -> str:
    """Latency by the second the message was sent: a steady queue and a periodic stall (a checkpoint, a GC
    pause, a blocking call) look the same in percentiles but not here. With chatsvc, the ack columns tell
    whether the time went before the commit (ack late too) or after it, in fan-out (only delivery late)."""
    delivery = _buckets(recorder.sent_at_ns, recorder.latencies_ms, recorder.started_ns, bucket_s)
    acks = _buckets(recorder.ack_sent_at_ns, recorder.ack_ms, recorder.started_ns, bucket_s)
    lines = [f"timeline of {system}: second, messages, delivery p50 / p99 / max ms, ack p50 / p99 ms"]
    for index in sorted(delivery):
        values, acked = delivery[index], acks.get(index, [])
        lines.append(
            f"  {index * bucket_s:5.0f}s {len(values):6d} {percentile(values, 50):9.1f} "
            f"{percentile(values, 99):9.1f} {values[-1]:9.1f} {percentile(acked, 50):9.1f} {percentile(acked, 99):9.1f}"
        )
    return "\n".join(lines)


def _buckets(
    sent_ns: list[int], values: list[float], start_ns: int, bucket_s: float
) -> dict[int, list[float]]:
    buckets: dict[int, list[float]] = collections.defaultdict(list)
    for sent, value in zip(sent_ns, values, strict=True):
        buckets[int((sent - start_ns) / 1e9 / bucket_s)].append(value)
    return {index: sorted(found) for index, found in buckets.items()}
