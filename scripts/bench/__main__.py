"""`python -m scripts.bench` (`make bench`): the options, and the order of the sections."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import scripts.bench
from local.inprocess import ROOT
from scripts.bench.against import main_against
from scripts.bench.devstack import WRITES, devstack_section, measure_devstack
from scripts.bench.imports import LIMIT, ImportResults, imports_section, measure_imports
from scripts.bench.layer import LIMIT_BYTES, LayerResults, layer_section, measure_layer
from scripts.bench.migration import (
    AT_SCALE_HEADING,
    FULL_SCALE,
    INSTANCES,
    measure_migration,
    migration_section,
)
from scripts.bench.mix import MIX_ROUNDS, measure_mix
from scripts.bench.report import (
    Results,
    bulk_section,
    environment_lines,
    kept_section,
    mix_section,
    report,
    scale_table,
)
from scripts.bench.scale import (
    measure_badge_scale,
    measure_bulk,
    measure_issuing_scale,
    measure_scale,
)
from scripts.bench.scenarios import (
    measure_badge_endpoints,
    measure_endpoints,
    measure_issuing_endpoints,
)

OUTPUT = ROOT / "docs" / "benchmarks.md"
ITERATIONS = 30
# Badge writes are transactions of up to 17 actions, and moto copies the table per action; most
# runs also write in their set-up or clean-up. Fewer runs keep `make bench` within minutes.
BADGE_ITERATIONS = 15
# The claim codes, issuing, milestones, assessment and webhooks routes: many scenarios, most
# writing in their set-up or clean-up too.
ISSUING_ITERATIONS = 5
SCALE_ITERATIONS = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench", description=scripts.bench.__doc__
    )
    parser.add_argument(
        "--iterations", type=int, default=ITERATIONS, help="per containers endpoint"
    )
    parser.add_argument(
        "--badge-iterations", type=int, default=BADGE_ITERATIONS, help="per badges/public endpoint"
    )
    parser.add_argument(
        "--issuing-iterations",
        type=int,
        default=ISSUING_ITERATIONS,
        help="per claim codes, issuing, milestones, assessment or webhooks endpoint",
    )
    parser.add_argument(
        "--scale-iterations", type=int, default=SCALE_ITERATIONS, help="per list at scale"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="Markdown report")
    parser.add_argument(
        "--bulk-only",
        action="store_true",
        help="only the bulk award at the limit: print its section, write nothing",
    )
    parser.add_argument(
        "--scale-only",
        action="store_true",
        help="only the lists at scale: print their tables, write nothing",
    )
    parser.add_argument(
        "--mix-only",
        action="store_true",
        help="only the issue's request mix (moto in a child process): print it, write nothing",
    )
    parser.add_argument(
        "--mix-rounds", type=int, default=MIX_ROUNDS, help="timed rounds of the request mix"
    )
    parser.add_argument(
        "--devstack-only",
        action="store_true",
        help="only the local stack from outside (mix rate, idle CPU, RSS over many writes): "
        "print it, write nothing",
    )
    parser.add_argument(
        "--devstack-writes", type=int, default=WRITES, help="writes of the local stack's RSS row"
    )
    parser.add_argument(
        "--layer-only",
        action="store_true",
        help="only the built layer's size and imports with/without the SDK: print, write nothing",
    )
    parser.add_argument(
        "--mix-against",
        metavar="URL",
        help="drive the request mix over HTTP against a running API at URL and report the CPU "
        "per request of --server-pid from /proc (scripts/bench/against.py); write nothing",
    )
    parser.add_argument(
        "--server-pid", type=int, action="append", default=[], help="with --mix-against"
    )
    parser.add_argument(
        "--aside-pid",
        type=int,
        action="append",
        default=[],
        help="with --mix-against: a process (a database) measured and reported apart",
    )
    parser.add_argument("--key", default="master", help="with --mix-against: the JWT key")
    parser.add_argument(
        "--secret", help="with --mix-against: the key's secret (default: env MASTER_SECRET)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="with --mix-against: runs, min and median"
    )
    parser.add_argument(
        "--imports-only",
        action="store_true",
        help="only each function's cold import against the floor: print it, write nothing",
    )
    parser.add_argument(
        "--migrate-only",
        action="store_true",
        help="only the import of a synthetic original database into the local stack (a "
        "throwaway MariaDB): print it, write nothing",
    )
    parser.add_argument(
        "--migrate-scale",
        type=int,
        default=INSTANCES,
        metavar="N",
        help="instances of the larger import (applications: N/10; the smaller import: N/10); "
        "100000 for the issue's figure",
    )
    return parser.parse_args(argv)


def imports_verdict(results: ImportResults) -> int:
    """Nonzero (the run fails) when a function imports in more than LIMIT x the floor."""
    for name in results.over_limit:
        print(f"cold import of {name} is over {LIMIT}x the floor", file=sys.stderr)
    return 1 if results.over_limit else 0


def layer_verdict(results: LayerResults) -> int:
    """Nonzero (the run fails) when the built layer is over LIMIT_BYTES unpacked."""
    if results.over_limit:
        print(f"the built layer is over {LIMIT_BYTES} bytes unpacked", file=sys.stderr)
    return 1 if results.over_limit else 0


def devstack_verdict(failures: list[str]) -> int:
    """Nonzero (the run fails) when the local stack misses a goal of its section."""
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.bulk_only:
        print(bulk_section(measure_bulk()))
        return 0
    if args.scale_only:
        for measured in (measure_scale, measure_badge_scale, measure_issuing_scale):
            print(scale_table(measured(args.scale_iterations)), flush=True)
        return 0
    if args.mix_against:
        if not args.server_pid:
            print("--mix-against needs --server-pid", file=sys.stderr)
            return 2
        return main_against(args)
    if args.mix_only:
        print(mix_section(measure_mix(args.mix_rounds)))
        return 0
    if args.devstack_only:
        devstack = measure_devstack(args.mix_rounds, args.devstack_writes)
        print(devstack_section(devstack))
        return devstack_verdict(devstack.failures)
    if args.imports_only:
        imports = measure_imports()
        print(imports_section(imports))
        return imports_verdict(imports)
    if args.migrate_only:
        migration = measure_migration(args.migrate_scale)
        print(migration_section(migration))
        return devstack_verdict(migration.failures)
    if args.layer_only:
        layer = measure_layer()
        print(layer_section(layer))
        return layer_verdict(layer)
    started, load = time.perf_counter(), os.getloadavg()[0]
    imports = measure_imports()
    layer = measure_layer()
    # First, while the process holds nothing of the other sections' tables.
    mix = measure_mix(args.mix_rounds)
    devstack = measure_devstack(args.mix_rounds, args.devstack_writes)
    migration = measure_migration(args.migrate_scale)
    containers_results = measure_endpoints(args.iterations)
    badge_results, public_results = measure_badge_endpoints(args.badge_iterations)
    results = Results(
        containers_results,
        badge_results,
        public_results,
        measure_issuing_endpoints(args.issuing_iterations),
        measure_scale(args.scale_iterations),
        measure_badge_scale(args.scale_iterations),
        measure_issuing_scale(args.scale_iterations),
        measure_bulk(),
        mix,
    )
    elapsed_s = time.perf_counter() - started
    lines = environment_lines(args, elapsed_s, load)
    previous = args.output.read_text() if args.output.exists() else ""
    body = report(results, lines, kept_section(previous)).rstrip("\n")
    text = "\n".join(
        [
            body,
            "",
            imports_section(imports),
            layer_section(layer),
            devstack_section(devstack),
            migration_section(migration),
            *(
                [at_scale]
                if migration.large.shape.instances < FULL_SCALE
                and (at_scale := kept_section(previous, AT_SCALE_HEADING))
                else []
            ),
        ]
    )
    args.output.write_text(text)
    print(text)
    print(f"written to {args.output}", file=sys.stderr)
    return (
        imports_verdict(imports)
        or layer_verdict(layer)
        or devstack_verdict(devstack.failures)
        or devstack_verdict(migration.failures)
    )


if __name__ == "__main__":
    raise SystemExit(main())
