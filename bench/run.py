"""`make bench`: generate the data set, run the mixed scenario against bare Flask, measure the list page and
the invoice page in-process, print where the time goes, and write it all to bench/results/.

    python -m bench.run [--database-url URL] [--quick] [--invoices N] [--reuse] [--single] [--no-profile]

1. Data (bench/data.py): 1,000,000 invoices (`--quick`: 100,000), 1,000 users of 200 companies.
2. The mixed scenario (bench/mixed.py): every user signed in, a shuffled mix of what buyers do, portal and
   bare Flask in turn under the same gunicorn command, wrk with bench/mixed.lua. Then invoice pages alone.
3. In-process (bench/profile.py, Flask's test client): the list page rendered with nothing cached and the
   invoice page — CPU per request and a cProfile of each — and the mix replayed, CPU per kind of request.
4. `--single`: the former single-URL table (bench/single.py), as secondary detail.

SQLite (the default) keeps one file per size under bench/data/ (git-ignored; `--reuse` keeps a data set
generated today by the same plan). With DATABASE_URL=postgresql://… that database is emptied and refilled.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# The targets. p99 and "no errors" hold on both engines; the throughput ratio differs by engine
# (PostgreSQL answers each query from another process competing for the same two cores).
MIX_RATIO = {"sqlite": 0.35, "postgresql": 0.25}
MIX_P99_MS = 50.0
COLD_LIST_CPU_MS = 2.0
INVOICE_RATIO = 0.3
BUSY_ELSEWHERE = 0.2  # above this share of the cores taken by other work, a run is flagged as unreliable


@dataclass
class Settings:
    """How long and how much: the full run, or --quick for development."""

    invoices: int
    seconds: float  # per mixed round and side
    invoice_seconds: float  # per invoice-page round and side
    rounds: int
    requests: int  # the mix's request list (grown when the portal is fast enough to need more)
    profile_requests: int  # measured in-process requests (as many again under the profiler)
    replayed: int  # requests of the mix replayed in-process


FULL = Settings(1_000_000, 8, 4, 3, 4000, 300, 1500)
QUICK = Settings(100_000, 3, 2, 3, 2000, 100, 500)


# ------------------------------------------------------------------------------------------ the data set


def data_url(base_url: str, invoices: int) -> str:
    """SQLite: one file per size; PostgreSQL: the same database, refilled."""
    if base_url.startswith("sqlite"):
        path = Path(base_url.split(":///", 1)[1])
        return f"sqlite:///{path.with_name(f'{path.stem}-{invoices}{path.suffix}')}"
    return base_url


def _marker(url: str, invoices: int) -> str:
    from bench.data import PLAN_VERSION

    return f"{invoices} {date.today().isoformat()} {PLAN_VERSION}"


def reusable(url: str, invoices: int) -> bool:
    """Is the data set already there, generated today by this plan? (SQLite: a marker file beside it.)"""
    if url.startswith("sqlite"):
        marker = Path(url.split(":///", 1)[1] + ".done")
        return marker.exists() and marker.read_text().strip() == _marker(url, invoices)
    from bench.data import Plan, users
    from models import open_database

    database = open_database(url)
    try:
        if not {"invoice", "user"} <= set(database.get_tables()):
            return False
        count, newest = database.execute_sql("SELECT COUNT(*), MAX(created_at) FROM invoice").fetchone()
        expected = {email for email, _, _ in users(Plan(invoices=invoices))}
        found = {e for (e,) in database.execute_sql('SELECT email FROM "user"').fetchall()}
        return count == invoices and found == expected and newest is not None and newest.date() == date.today()
    finally:
        database.close()


def refuse_foreign_database(url: str) -> None:
    """The benchmark empties the database it is given: only one that is empty or holds its own data."""
    if url.startswith("sqlite"):
        return  # its own files under bench/data/
    from bench.data import is_bench_email
    from models import open_database

    database = open_database(url)
    try:
        if "user" in database.get_tables():
            emails = [e for (e,) in database.execute_sql('SELECT email FROM "user" LIMIT 5000').fetchall()]
            if not all(is_bench_email(e) for e in emails):
                sys.exit(f"Refusing to empty {url}: it holds users that are not the benchmark's. "
                         "Give the benchmark a database of its own (createdb settle_bench_mixed).")
    finally:
        database.close()


# ------------------------------------------------------------------------------------------ in-process


def profile(url: str, flags: list[str], workdir: Path, name: str) -> tuple[str, dict | None]:
    """bench/profile.py in a process of its own (the app reads its settings at start): (its text, figures)."""
    out = workdir / f"{name}.json"
    from bench.load import server_env

    done = subprocess.run([sys.executable, "-m", "bench.profile", *flags, "--json", str(out)], cwd=ROOT,
                          env=server_env(url), capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return f"({name} failed: {done.stderr[-2000:]})", None
    return done.stdout, json.loads(out.read_text())


# ------------------------------------------------------------------------------------------ targets and report


def check_targets(kind: str, result, cold: dict | None, invoice_cpu: dict | None) -> list[tuple[str, bool | None, str]]:
    mix, inv = result.mix, result.invoice_page
    errors = mix.error_count + inv.error_count + len(result.dry_run_failures)
    checks = [
        (f"mixed throughput ≥ {MIX_RATIO[kind]} × bare Flask", mix.ratio >= MIX_RATIO[kind], f"{mix.ratio:.2f} ×"),
        (f"mixed p99 < {MIX_P99_MS:g} ms", mix.portal.p99 < MIX_P99_MS, f"{mix.portal.p99:.1f} ms"),
        ("no failed requests (dry run, mix, invoice pages)", errors == 0,
         f"{errors} failed" + (f" ({_classes(mix.errors)})" if mix.error_count else "")),
    ]
    if cold:
        checks.append((f"list page rendered with nothing cached ≤ {COLD_LIST_CPU_MS:g} ms CPU in-process",
                       cold["cpu_ms"] <= COLD_LIST_CPU_MS, f"{cold['cpu_ms']:.2f} ms"))
    else:
        checks.append((f"list page rendered with nothing cached ≤ {COLD_LIST_CPU_MS:g} ms CPU in-process", None,
                       "not measured"))
    checks.append((f"invoice page ≥ {INVOICE_RATIO} × bare Flask (gunicorn, wrk)", inv.ratio >= INVOICE_RATIO,
                   f"{inv.ratio:.2f} ×" + (f"; {invoice_cpu['cpu_ms']:.2f} ms CPU in-process" if invoice_cpu else "")))
    return checks


def busy_elsewhere(result) -> float:
    """The largest share of the cores that other work on the machine took, mix or invoice pages."""
    return max(result.mix.cpu.get("other", 0.0), result.invoice_page.cpu.get("other", 0.0))


def _cpu(shares: dict) -> str:
    names = {"portal": "Settle's gunicorn", "database": "PostgreSQL for Settle", "baseline": "bare Flask's",
             "load generator": "the load generator", "other": "other work on the machine", "idle": "idle"}
    return ", ".join(f"{names[k]} {v:.0%}" for k, v in shares.items())


def _classes(errors: dict) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in errors.items() if n)


def mix_lines(result) -> list[str]:
    """The headline, as plain text (terminal) — the Markdown report reuses it in a code block."""
    from bench.mixed import MIX

    mix, inv = result.mix, result.invoice_page
    p, b = mix.portal, mix.baseline
    ip, ib = inv.portal, inv.baseline
    lines = [
        f"{'':<28} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'failed':>7}",
        f"{'Settle, the mix':<28} {p.rps:>7.0f} {p.p50:>7.1f} {p.p99:>7.1f} {mix.error_count:>7}",
        f"{'bare Flask, same sizes':<28} {b.rps:>7.0f} {b.p50:>7.1f} {b.p99:>7.1f} {mix.baseline_errors:>7}",
        f"{'ratio':<28} {mix.ratio:>7.2f} ×",
        f"{'Settle, invoice pages':<28} {ip.rps:>7.0f} {ip.p50:>7.1f} {ip.p99:>7.1f} {inv.error_count:>7}",
        f"{'bare Flask, same sizes':<28} {ib.rps:>7.0f} {ib.p50:>7.1f} {ib.p99:>7.1f} {inv.baseline_errors:>7}",
        f"{'ratio':<28} {inv.ratio:>7.2f} ×",
        "",
        "Rounds (req/s, Settle / bare Flask): mix " + ", ".join(
            f"{r.load.rps:.0f} / {s.load.rps:.0f}" for r, s in zip(mix.portal_runs, mix.baseline_runs))
        + "; invoice pages " + ", ".join(
            f"{r.load.rps:.0f} / {s.load.rps:.0f}" for r, s in zip(inv.portal_runs, inv.baseline_runs)) + ".",
        f"Workers' peak RSS (VmHWM): Settle {result.rss_mb:.0f} MB, bare Flask {result.baseline_rss_mb:.0f} MB.",
        f"The cores during the mix's rounds (both sides): {_cpu(mix.cpu)}; invoice pages: {_cpu(inv.cpu)}.",
        *([f"WARNING: other work on the machine took {busy_elsewhere(result):.0%} of the cores during the rounds: "
           "both sides ran slower and the ratios are uncertain; run again when the machine is quieter."]
          if busy_elsewhere(result) > BUSY_ELSEWHERE else []),
        f"Mean answer as read by the load generator: mix {mix.mean_bytes(mix.portal_runs):,.0f} bytes from Settle, "
        f"{mix.mean_bytes(mix.baseline_runs):,.0f} from bare Flask; invoice pages "
        f"{inv.mean_bytes(inv.portal_runs):,.0f} / {inv.mean_bytes(inv.baseline_runs):,.0f}"
        + (" (headers included)." if use_wrk_bytes(mix) else " (bodies only)."),
        f"The portal was sent {mix.sent:,} requests of a list of {mix.list_length:,}"
        + (" (it got round the list: some requests came twice)" if mix.wrapped else " (none twice)")
        + f", and {inv.sent:,} invoice pages of {inv.list_length:,}"
        + (" (some twice)" if inv.wrapped else " (none twice)") + ".",
        "",
        "The mix (share of requests):",
    ]
    lines += [f"  {share:>3} %  {description}" for _, share, description in MIX]
    lines += ["", "Dry run (fresh workers, 4 requests at a time, Python client): per kind",
              f"  {'kind':<8} {'requests':>8} {'mean bytes':>10} {'p50 ms':>7} {'p90 ms':>7}"]
    lines += [f"  {kind:<8} {n:>8,} {size:>10,.0f} {p50:>7.1f} {p90:>7.1f}" for kind, n, size, p50, p90 in result.by_kind()]
    return lines


def use_wrk_bytes(comparison) -> bool:
    """Did wrk measure (it counts headers too), or the Python fallback (bodies only)?"""
    return any(r.load.output for r in comparison.portal_runs)


def environment(url: str) -> dict:
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                   if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    engine = "SQLite"
    try:
        if url.startswith("sqlite"):
            import sqlite3

            engine = f"SQLite {sqlite3.sqlite_version}"
        else:
            from models import open_database

            database = open_database(url)
            engine = f"PostgreSQL {database.execute_sql('SHOW server_version').fetchone()[0]}"
            database.close()
    except Exception:  # noqa: BLE001 - informational only
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    load = os.getloadavg()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "engine": engine,
            "commit": commit, "load": f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"}


def write_results(kind: str, settings: Settings, result, checks, generation: dict | None, env: dict,
                  load_generator: str, profiles: list[tuple[str, str]], single_text: str, total_s: float
                  ) -> tuple[Path, Path | None]:
    from bench.load import CONNECTIONS, WORKERS

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    md_path, png_path = RESULTS / f"{kind}-{stamp}.md", RESULTS / f"{kind}-{stamp}.png"
    timings = ", ".join(f"{k} {v:.0f} s" for k, v in result.timings.items())
    lines = [
        f"# `make bench` on {env['engine']} — {datetime.now():%Y-%m-%d %H:%M}", "",
        f"{env['cores']} cores ({env['cpu']}), Python {env['python']}, commit {env['commit']}, gunicorn {WORKERS} "
        f"sync workers for Settle and for bare Flask, {load_generator} with {CONNECTIONS} connections. "
        f"{settings.invoices:,} invoices; {result.people:,} users of {result.companies} companies. Load average at "
        f"the start: {env['load_start']}, at the end: {env['load']} (the machine is shared: other work slows both "
        f"columns; the share of the cores it took is shown below).", "",
        f"## Mixed scenario ({settings.rounds} rounds of {settings.seconds:g} s per side, alternating; median round)",
        "", "```", *mix_lines(result), "```", "",
        "## Targets", "",
    ]
    lines += [f"- {'✅' if ok else ('❌' if ok is False else '–')} {name}: {value}" for name, ok, value in checks]
    lines += ["", f"Time: {timings}; `make bench` {total_s / 60:.1f} min in all."]
    if generation:
        t = generation["timings"]
        lines += ["", f"Data generation: {generation['invoices']:,} invoices, {generation['lines']:,} lines, "
                      f"{generation['payments']:,} payments, {generation['customers']:,} customers in {t['total']:.0f} s."]
    for title, text in profiles:
        lines += ["", f"## {title}", "", "```", text.rstrip(), "```"]
    if single_text:
        lines += ["", "## Single URLs, repeated (secondary detail; no longer targets)", "", "```", single_text.rstrip(),
                  "```"]
    md_path.write_text("\n".join(lines) + "\n")
    try:
        chart(result, png_path, env["engine"], settings)
    except Exception as error:  # noqa: BLE001 - the table matters more than the picture
        print(f"(no chart: {error})")
        png_path = None
    return md_path, png_path


def chart(result, path: Path, engine: str, settings: Settings) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = ["mixed scenario", "invoice pages"]
    comparisons = [result.mix, result.invoice_page]
    y = range(len(names))
    left.barh([i + 0.2 for i in y], [c.baseline.rps for c in comparisons], height=0.4, label="bare Flask",
              color="#bbbbbb")
    left.barh([i - 0.2 for i in y], [c.portal.rps for c in comparisons], height=0.4, label="Settle", color="#2a6f97")
    for i, c in zip(y, comparisons):
        left.text(c.portal.rps, i - 0.2, f" {c.ratio:.2f}×", va="center", fontsize=9)
    left.set_yticks(list(y), names)
    left.invert_yaxis()
    left.set_xlabel("requests/s (16 connections, 2 sync workers)")
    left.set_title(f"{settings.invoices:,} invoices on {engine}")
    left.legend(loc="lower right")
    x = [0, 1]
    right.bar([i - 0.2 for i in x], [result.mix.portal.p50, result.mix.portal.p99], width=0.4, color="#2a6f97",
              label="Settle")
    right.bar([i + 0.2 for i in x], [result.mix.baseline.p50, result.mix.baseline.p99], width=0.4, color="#bbbbbb",
              label="bare Flask")
    right.set_xticks(x, ["p50", "p99"])
    right.axhline(MIX_P99_MS, color="#c0392b", linestyle="--", linewidth=1, label=f"p99 target {MIX_P99_MS:g} ms")
    right.set_ylabel("ms")
    right.set_title("the mix's latency (median round)")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------------------ main


def main(argv=None):
    from bench.generate import default_url, run as generate

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or default_url())
    parser.add_argument("--quick", action="store_true", help="100,000 invoices and short rounds (development)")
    parser.add_argument("--invoices", type=int, help="the data set's size (default 1,000,000; --quick 100,000)")
    parser.add_argument("--seconds", type=float, help="per mixed round and side")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seed", type=int, default=20261122, help="of the request list")
    parser.add_argument("--reuse", action="store_true", help="keep a data set generated today by this plan")
    parser.add_argument("--single", action="store_true", help="also the former single-URL table (secondary)")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    settings = Settings(**{**settings.__dict__, **{k: v for k, v in (
        ("invoices", args.invoices), ("seconds", args.seconds), ("rounds", args.rounds)) if v}})
    use_wrk = shutil.which("wrk") is not None
    load_generator = "wrk" if use_wrk else "a Python load generator (wrk not found)"
    kind = "sqlite" if args.database_url.startswith("sqlite") else "postgresql"
    log = lambda text="": print(text, flush=True)
    log(f"Settle benchmark on {kind}: {settings.invoices:,} invoices, the mixed scenario ({settings.rounds} × "
        f"{settings.seconds:g} s per side), {load_generator}.")
    started = time.perf_counter()
    load_start = " ".join(f"{v:.1f}" for v in os.getloadavg())
    refuse_foreign_database(args.database_url)
    url = data_url(args.database_url, settings.invoices)

    generation = None
    if args.reuse and reusable(url, settings.invoices):
        log(f"Reusing the {settings.invoices:,}-invoice data set from today.")
    else:
        generation = generate(settings.invoices, url, log=log)
        if url.startswith("sqlite"):
            Path(url.split(":///", 1)[1] + ".done").write_text(_marker(url, settings.invoices))

    from bench import mixed, single
    from bench.data import Plan

    plan = Plan(invoices=settings.invoices)
    profiles: list[tuple[str, str]] = []
    cold = invoice_cpu = None
    single_text = ""
    with tempfile.TemporaryDirectory(prefix="settle-bench-") as tmp:
        workdir = Path(tmp)
        result = mixed.run(url, plan, workdir, seconds=settings.seconds, rounds=settings.rounds,
                           invoice_seconds=settings.invoice_seconds, n_requests=settings.requests, seed=args.seed,
                           use_wrk=use_wrk, log=log)
        if not args.no_profile:
            log("In-process figures (bench/profile.py)...")
            text, _ = profile(url, ["--mix", str(result.files[0]), str(result.files[1]),
                                    "--requests", str(settings.replayed)], workdir, "mix")
            profiles.append(("The mix replayed in-process: CPU per kind of request", text))
            text, _ = profile(url, ["--mix", str(result.files[0]), str(result.files[1]), "--render-cache-off",
                                    "--requests", str(settings.replayed)], workdir, "mix-cold")
            profiles.append(("The same requests replayed with the rendered-part cache off", text))
            text, cold = profile(url, ["--cold-list", "--requests", str(settings.profile_requests)], workdir, "cold")
            profiles.append(("Where the time goes: the list page rendered with nothing cached", text))
            text, invoice_cpu = profile(url, ["--invoice", "--requests", str(settings.profile_requests)], workdir,
                                        "invoice")
            profiles.append(("Where the time goes: the invoice page", text))
    if args.single:
        log("Single URLs, repeated (secondary detail):")
        log(single.HEADER)
        rows, _ = single.run(settings.invoices, url, 3, settings.rounds, use_wrk, log)
        single_text = "\n".join([single.HEADER, *map(single.format_row, rows)])

    checks = check_targets(kind, result, cold, invoice_cpu)
    env = {**environment(args.database_url), "load_start": load_start}
    total = time.perf_counter() - started
    md, png = write_results(kind, settings, result, checks, generation, env, load_generator, profiles, single_text,
                            total)
    log()
    log(f"== Mixed scenario: {settings.invoices:,} invoices on {env['engine']}, {result.people:,} users of "
        f"{result.companies} companies ==")
    for line in mix_lines(result):
        log(line)
    log()
    log("Targets:")
    for name, ok, value in checks:
        log(f"  {'PASS' if ok else ('FAIL' if ok is False else ' -- ')}  {name}: {value}")
    for title, text in profiles:
        log()
        log(f"== {title} ==")
        log(text.rstrip())
    if single_text:
        log()
        log("== Single URLs, repeated (secondary detail) ==")
        log(single_text)
    log()
    log(f"Results: {md.relative_to(ROOT)}" + (f" and {png.relative_to(ROOT)}" if png else "")
        + f" ({total / 60:.1f} min in all)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
