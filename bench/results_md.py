#!/usr/bin/env python3
"""bench/results_md.py: composes bench/RESULTS.md from one bench/run session (called by it).

Reads the key=value summaries bench/run_echo.sh and bench/run_fanout.sh write with SUMMARY=
(one line a figure: a kind, then KEY=VALUE words; the means of the two runs of each server) and
appends their markdown reports. Every sockchatd figure is given as a ratio to the limit server
(epoll_echo / epoll_broadcast) and to the best peer of its row: the best non-limit server on that
row for that figure (highest rate, lowest latency or memory).
"""
import argparse
import re
import sys

LIMIT_ECHO, LIMIT_FANOUT = "epoll_echo", "epoll_broadcast"
ECHO_PEERS = ("asio_echo", "socat", "tutorial")
FANOUT_PEERS = ("ncat", "ngircd")  # the tutorial chat server runs at the lowest step only


def read_summary(path):
    rows = []
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            row = {"kind": words[0]}
            for w in words[1:]:
                k, _, v = w.partition("=")
                row[k] = v
            rows.append(row)
    return rows


def num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x


def fmt(v, digits=0):
    x = num(v)
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}"


def ratio(a, b):
    a, b = num(a), num(b)
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return a / b


def fr(r):
    return "n/a" if r is None else f"{r:.2f}×"


def best(rows_by_server, peers, key, higher=True):
    """(name, value) of the best peer on KEY: highest if higher, else lowest; None if none."""
    cands = [(s, num(rows_by_server[s].get(key))) for s in peers if s in rows_by_server]
    cands = [(s, v) for s, v in cands if v is not None and v > 0]
    if not cands:
        return None
    return (max if higher else min)(cands, key=lambda c: c[1])


def vs(ours, other):
    """' r× (name)' against (name, value), or 'n/a'."""
    if other is None:
        return "n/a"
    return f"{fr(ratio(ours, other[1]))} ({other[0]})"


def by(amount, unit):
    """How far a target was missed: 2 decimals for ratios ("<0.01×" rather than "0.00×")."""
    if unit == "×":
        return "<0.01×" if amount < 0.01 else f"{amount:.2f}×"
    return f"{amount:g} {unit}"


def sustained_ratio(ours, theirs, lowest):
    """(ratio, is_lower_bound) of two sustained figures. A server that sustained no step (0) held
    less than the ladder's lowest step, so against it the ratio is more than ours / lowest."""
    if num(theirs) == 0 and num(lowest):
        return ratio(ours, lowest), True
    return ratio(ours, theirs), False


class Targets:
    def __init__(self):
        self.rows = []

    def at_least(self, what, case, value, goal, unit="×", bound=False, note=""):
        """value >= goal: met, or missed by goal - value (bound: value is a lower bound)."""
        if value is None:
            self.rows.append((what, case, "n/a", "n/a (not measured)"))
            return
        shown = f"{value:.2f}{unit}" if unit == "×" else f"{value:g} {unit}"
        if bound:
            shown = "> " + shown
        verdict = "met" if value >= goal else f"**missed** by {by(goal - value, unit)}"
        self.rows.append((what, case, shown, verdict + note))

    def at_most(self, what, case, value, goal, unit="×", shown=None):
        """value <= goal: met, or missed by value - goal."""
        if value is None:
            self.rows.append((what, case, "n/a", "n/a (not measured)"))
            return
        if shown is None:
            shown = f"{value:.2f}{unit}" if unit == "×" else f"{value:g} {unit}"
        self.rows.append((what, case, shown, "met" if value <= goal else f"**missed** by {by(value - goal, unit)}"))

    def lower(self, what, case, ours, theirs):
        a, b = num(ours), num(theirs)
        if a is None or b is None:
            self.rows.append((what, case, "n/a", "n/a (not measured)"))
            return
        shown = f"{a / 1000:.2f} vs {b / 1000:.2f} ms"
        verdict = "met" if a < b else f"**missed** by {(a - b) / 1000:.2f} ms"
        self.rows.append((what, case, shown, verdict))


def echo_row(label, row, rate):
    """Prints one echo table row: sockchatd's RATE and p99, each ÷ the limit and ÷ the best peer."""
    o, lim = row.get("sockchatd", {}), row.get(LIMIT_ECHO, {})
    print(f"| {label} | {fmt(o.get(rate))} | {fr(ratio(o.get(rate), lim.get(rate)))} | "
          f"{vs(o.get(rate), best(row, ECHO_PEERS, rate))} | {fmt(o.get('p99_us'))} | "
          f"{fr(ratio(o.get('p99_us'), lim.get('p99_us')))} | "
          f"{vs(o.get('p99_us'), best(row, ECHO_PEERS, 'p99_us', higher=False))} |")
    return o, lim


def demote(markdown):
    """The scripts' reports under this file's headings: '# x' becomes '### x' and so on."""
    out = []
    fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and re.match(r"^#{1,4} ", line):
            line = "##" + line
        out.append(line)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meta", nargs="*", default=[])
    ap.add_argument("--echo", nargs=2, metavar=("SUMMARY", "REPORT"), required=True)
    ap.add_argument("--fanout", nargs=2, metavar=("SUMMARY", "REPORT"), required=True)
    a = ap.parse_args()
    meta = dict(m.partition("=")[::2] for m in a.meta)
    echo = read_summary(a.echo[0])
    fan = read_summary(a.fanout[0])
    t = Targets()
    p = print

    p("# Benchmark results")
    p()
    p(f"Written by `bench/run` (issue 15) in {meta.get('total_s', '?')} s: the Release build "
      f"{meta.get('build_s', '?')} s, `bench/run_echo.sh` {meta.get('echo_s', '?')} s, "
      f"`bench/run_fanout.sh` {meta.get('fanout_s', '?')} s (budget {meta.get('budget_s', '?')} s). "
      "One session: every figure below is from this run.")
    p()
    p(f"- date: {meta.get('date', '?')}")
    p(f"- commit: {meta.get('commit', '?')}")
    p(f"- machine: {meta.get('machine', '?')}")
    p(f"- load average (1, 5, 15 min): before {meta.get('load_before', '?')}, after {meta.get('load_after', '?')}")
    if meta.get("echo_rc", "0") != "0" or meta.get("fanout_rc", "0") != "0":
        p(f"- **a script failed**: run_echo.sh exit {meta.get('echo_rc')}, run_fanout.sh exit {meta.get('fanout_rc')}")
    p()
    p("Ratios are sockchatd ÷ the other server. **Limit**: the bare epoll server written for the bench "
      "(`bench/peers/epoll_echo.c`, `bench/peers/epoll_broadcast.c`). **Best peer**: the best of the "
      "non-limit servers on that row for that figure (highest rate, lowest latency or memory), named "
      "in brackets. Above 1 is better for rates, below 1 for latency, memory and system calls; a rate "
      "above 1× the limit is noise (the limit descheduled), not sockchatd beating it. "
      "sockchatd runs `threads: 2`; nothing is pinned (see bench/README.md).")

    # ---- echo ------------------------------------------------------------------------------
    pp = {}
    for r in echo:
        if r["kind"] in ("pingpong", "storm"):
            pp.setdefault((r["kind"], int(r["size"]), int(r["conns"])), {})[r["server"]] = r
    p()
    p("## Echo: ping-pong round trips/s and p99")
    p()
    p("| size, conns | sockchatd round trips/s | ÷ limit | ÷ best peer | sockchatd p99 µs | p99 ÷ limit's | p99 ÷ best peer's |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    for (kind, size, conns) in sorted(k for k in pp if k[0] == "pingpong"):
        row = pp[(kind, size, conns)]
        o, lim = echo_row(f"{size} B, {conns}", row, "rps")
        case = f"{size} B, {conns} conns"
        r_lim = ratio(o.get("rps"), lim.get("rps"))
        if conns in (64, 512):
            t.at_least("echo round trips/s ≥ 1.0× limit", case, r_lim, 1.0)
        elif conns == 5000:
            t.at_least("echo round trips/s ≥ 0.9× limit", case, r_lim, 0.9)
        if conns >= 64:
            t.at_most("echo p99 ≤ 1.1× limit's p99", case, ratio(o.get("p99_us"), lim.get("p99_us")), 1.1)
            asio = row.get("asio_echo", {})
            t.at_least("echo round trips/s ≥ 1.5× asio", case, ratio(o.get("rps"), asio.get("rps")), 1.5)

    p()
    p("## Connection storm")
    p()
    p("Concurrent loops of connect, one round trip, close.")
    p()
    p("| loops | sockchatd connections/s | ÷ limit | ÷ best peer | loop p99 µs | p99 ÷ limit's | p99 ÷ best peer's |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    for (kind, size, conns) in sorted(k for k in pp if k[0] == "storm"):
        o, lim = echo_row(str(conns), pp[(kind, size, conns)], "cps")
        t.at_least("storm connections/s ≥ 0.9× limit", f"{conns} loops", ratio(o.get("cps"), lim.get("cps")), 0.9)
    if not any(k[0] == "storm" for k in pp):
        t.at_least("storm connections/s ≥ 0.9× limit", "", None, 0.9)

    idle = {r["server"]: r for r in echo if r["kind"] == "idle"}
    storm_rss = next((r for r in echo if r["kind"] == "storm_rss"), {})
    ready = next((r for r in echo if r["kind"] == "ready"), {})
    p()
    p("## Memory and start")
    p()
    p("| figure | sockchatd | ÷ limit | ÷ best peer |")
    p("|---|---:|---:|---:|")
    o = idle.get("sockchatd", {})
    conns = o.get("conns", "?")
    bp = best(idle, ("asio_echo",), "bytes_per_conn", higher=False)
    p(f"| RSS per idle connection, {conns} open | {fmt(o.get('bytes_per_conn'))} B | "
      f"{fr(ratio(o.get('bytes_per_conn'), idle.get(LIMIT_ECHO, {}).get('bytes_per_conn')))} | {vs(o.get('bytes_per_conn'), bp)} |")
    growth = num(storm_rss.get("growth_kb"))
    p(f"| RSS growth after a storm of {storm_rss.get('completed', storm_rss.get('total', '?'))} connections "
      f"({fmt(storm_rss.get('before_kb'))} KiB before, after a first {fmt(storm_rss.get('warmup'))}: "
      f"those cost {fmt(storm_rss.get('first_kb'))} KiB once over the fresh server's {fmt(storm_rss.get('fresh_kb'))} KiB) "
      f"| {fmt(storm_rss.get('growth_kb'))} KiB | n/a (sockchatd only) | n/a |")
    p(f"| start to READY=1, median of {ready.get('runs', '?')} (min–max {ready.get('min_ms', '?')}–{ready.get('max_ms', '?')} ms) "
      f"| {ready.get('median_ms', 'n/a')} ms | n/a (sockchatd only) | n/a |")
    t.at_most("RSS per idle connection ≤ 512 B", f"{conns} connections", num(o.get("bytes_per_conn")), 512, "B")
    t.at_most("no RSS growth after the storm", f"{storm_rss.get('total', '?')} connections", growth, 0, "KiB")
    t.at_most("start to READY ≤ 20 ms", "median", num(ready.get("median_ms")), 20, "ms")

    # ---- fan-out ---------------------------------------------------------------------------
    sus = {r["server"]: r for r in fan if r["kind"] == "sustained"}
    fixed = {r["server"]: r for r in fan if r["kind"] == "fixed"}
    rooms = {r["server"]: r for r in fan if r["kind"] == "rooms"}
    sysc = {r["server"]: r for r in fan if r["kind"] == "syscalls"}
    passes = next((r for r in fan if r["kind"] == "passes"), {})
    owed_fixed = next((r.get("owed") for r in fixed.values()), "?")
    p()
    p("## Chat fan-out")
    p()
    p("200 clients in one room (run_fanout.sh's CLIENTS), 10 sending. **Sustained**: the highest step "
      "of the owed-deliveries/s ladder with zero loss, one order and p99 < 10 ms (as coarse as the "
      f"ladder: {sus.get('sockchatd', {}).get('steps', '?').replace(',', ', ')}).")
    p()
    p("| figure | sockchatd | limit | ÷ limit | ÷ best peer |")
    p("|---|---:|---:|---:|---:|")
    o, lim = sus.get("sockchatd", {}), sus.get(LIMIT_FANOUT, {})
    lowest = (o.get("steps") or "").split(",")[0]
    peer_best = best(sus, FANOUT_PEERS, "owed")
    if peer_best is None and any(s in sus for s in FANOUT_PEERS):  # no peer sustained a step
        r, _ = sustained_ratio(o.get("owed"), 0, lowest)
        peer_vs = "n/a" if r is None else f"> {fr(r)} (none sustained {fmt(lowest)})"
    else:
        peer_vs = vs(o.get("owed"), peer_best)
    p(f"| sustained owed deliveries/s | {fmt(o.get('owed'))} | {fmt(lim.get('owed'))} | "
      f"{fr(ratio(o.get('owed'), lim.get('owed')))} | {peer_vs} |")
    fo, fl = fixed.get("sockchatd", {}), fixed.get(LIMIT_FANOUT, {})
    p(f"| p99 µs at {fmt(owed_fixed)} owed/s (the shared load) | {fmt(fo.get('p99_us'))} | {fmt(fl.get('p99_us'))} | "
      f"{fr(ratio(fo.get('p99_us'), fl.get('p99_us')))} | {vs(fo.get('p99_us'), best(fixed, FANOUT_PEERS, 'p99_us', higher=False))} |")
    ro = rooms.get("sockchatd", {})
    if ro:
        rp = best(rooms, ("ngircd",), "deliveries_per_s")
        rl = best(rooms, ("ngircd",), "p99_us", higher=False)
        lost = "" if ro.get("ok") == "1" else " (**not clean**: loss, order or p99)"
        p(f"| {ro.get('clients')} clients / {ro.get('rooms')} rooms at {fmt(ro.get('owed'))} owed/s: deliveries/s{lost} | "
          f"{fmt(ro.get('deliveries_per_s'))} | n/a (no rooms) | n/a | {vs(ro.get('deliveries_per_s'), rp)} |")
        p(f"| {ro.get('clients')} clients / {ro.get('rooms')} rooms: p99 µs | {fmt(ro.get('p99_us'))} | n/a | n/a | "
          f"{vs(ro.get('p99_us'), rl)} |")
    p()
    p("Every server's own figures (sustained owed/s; p99 µs at the shared load): " + "; ".join(
        f"{s} {fmt(sus[s].get('owed'))}, {fmt(fixed.get(s, {}).get('p99_us'))}" for s in sus) + ".")

    so = sus.get("sockchatd", {}).get("owed")
    t.at_least("fan-out sustained ≥ 0.8× limit", "200 clients, 1 room", ratio(so, lim.get("owed")), 0.8)
    for peer, label in (("ncat", "ncat --chat"), ("ngircd", "ngIRCd")):
        r, bound = sustained_ratio(so, sus.get(peer, {}).get("owed"), lowest)
        t.at_least(f"fan-out sustained ≥ 2× {label}", "200 clients, 1 room", r, 2.0, bound=bound,
                   note=f" ({label} sustained no step: < {fmt(lowest)})" if bound else "")
    for peer, label in (("ncat", "ncat --chat"), ("ngircd", "ngIRCd")):
        t.lower(f"fan-out p99 lower than {label}'s", f"{fmt(owed_fixed)} owed/s",
                fo.get("p99_us"), fixed.get(peer, {}).get("p99_us"))

    # ---- CPU per delivered message -----------------------------------------------------------
    p()
    p("## CPU per delivered message (fan-out)")
    p()
    if sysc:
        so_, sl_ = sysc.get("sockchatd", {}), sysc.get(LIMIT_FANOUT, {})
        p(f"Runs of their own at {fmt(so_.get('owed', sl_.get('owed')))} owed/s, `perf stat -p PID` attached to the "
          "server for chat_load's window only (`chat_load --perf-ctl`: perf's control FIFO), counting the "
          "`syscalls:sys_enter_*` tracepoints; per delivery = count ÷ deliveries in the window. Writes: "
          "sendto + sendmsg + writev + write (sockchatd's `write` calls are eventfd wake-ups). CPU: "
          "perf's task-clock over all threads. Instructions: n/a where the machine does not count them "
          "(no PMU, as in most VMs).")
        p()
        p("| per delivery | sockchatd | limit | ÷ limit |")
        p("|---|---:|---:|---:|")
        for key, label, d in (("syscalls_per_delivery", "system calls", 3),
                              ("writes_per_delivery", "write calls", 3),
                              ("cpu_us_per_delivery", "CPU µs", 2),
                              ("instructions_per_delivery", "instructions", 0)):
            p(f"| {label} | {fmt(so_.get(key), d)} | {fmt(sl_.get(key), d)} | {fr(ratio(so_.get(key), sl_.get(key)))} |")
        p()
        p(f"Counts in the window: sockchatd {fmt(so_.get('syscalls'))} system calls, {fmt(so_.get('sendto'))} sendto, "
          f"{fmt(so_.get('writev'))} writev, {fmt(so_.get('sendmsg'))} sendmsg, {fmt(so_.get('write'))} write, "
          f"{fmt(so_.get('epoll_wait'))} epoll_wait, for {fmt(num(so_.get('deliveries_per_s') or 0) * num(so_.get('window_s') or 0))} deliveries.")
    else:
        p("Not measured (SYSCALLS=0, or perf cannot count syscall tracepoints on this machine).")
    mw = num(passes.get("max_writes_per_client_pass"))
    p()
    if passes:
        avg = ratio(passes.get("client_writes"), passes.get("pairs"))
        p("**Write calls per client per loop pass** (sockchatd, one more run at the same load under "
          "`perf record` of every sendto / sendmsg / writev and epoll_wait call, per thread; a loop pass is "
          "what a thread does from one epoll_wait to the next, a client the fd written to): "
          f"{fmt(passes.get('client_writes'))} client writes in {fmt(passes.get('passes'))} passes that wrote, to "
          f"{fmt(passes.get('pairs'))} (pass, client) pairs: at most **{fmt(mw)}** per client per pass, "
          f"{fmt(passes.get('multi'))} pairs with more than one, {'n/a' if avg is None else f'{avg:.3f}'} on average; "
          f"events perf lost (ring buffer full; the passes miss them): {passes.get('lost_events', 'n/a')}.")
    else:
        p("Write calls per client per loop pass: not measured.")
    t.at_most("≤ 1 write call per client per loop pass (fan-out)", f"{fmt(owed_fixed)} owed/s, max over passes",
              mw, 1, "writes", shown=None if mw is None else f"max {mw:g}")

    # ---- targets -----------------------------------------------------------------------------
    p()
    p("## Targets (issue 15)")
    p()
    p("| target | case | sockchatd | verdict |")
    p("|---|---|---:|---|")
    for what, case, shown, verdict in t.rows:
        p(f"| {what} | {case} | {shown} | {verdict} |")
    met = sum(1 for r in t.rows if r[3] == "met")
    p()
    p(f"{met} of {len(t.rows)} met. \"No RSS growth\" is strict: any growth 1 s after the storm, over the RSS after the first storm, counts.")

    # ---- raw reports -------------------------------------------------------------------------
    for title, (summary, report) in (("bench/run_echo.sh", a.echo), ("bench/run_fanout.sh", a.fanout)):
        p()
        p(f"## Report of {title} (this run)")
        p()
        with open(report) as f:
            text = f.read().strip()
        p(demote(text) if text else "(no report: the script failed before writing it)")
        p()
        p(f"#### {title}: summary lines (what this file's tables are computed from)")
        p()
        p("```")
        with open(summary) as f:
            sys.stdout.write(f.read())
        p("```")


if __name__ == "__main__":
    main()
