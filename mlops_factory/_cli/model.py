"""``mlops-factory model check|profile MODEL.onnx``: validate and profile ONNX models."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from mlops_factory._cli import _options

if TYPE_CHECKING:
    from rich.console import Console

    from mlops_factory._onnx import ModelCheckReport, ProfileReport

HELP = "Check an ONNX model for release, or profile it on several CPU settings."
DESCRIPTION = """\
Validate and profile ONNX models with onnxruntime (CPU).

  check    load the model, run it, probe it with bad input, compare with a reference
  profile  measure latency, throughput and peak memory over threads x optimisation
           level x batch size, and recommend a setting

Exit codes: 0 ok, 1 a check failed (or no setting met the constraints),
2 unusable input (missing, empty, truncated, not ONNX, over the size cap,
external data outside the model's folder, unreadable sample).
See docs/model-checks.md."""

_OPT_LEVELS = ("disabled", "basic", "extended", "all")


_FORMATS = ("terminal", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="model_command", metavar="SUBCOMMAND", required=True)
    check = sub.add_parser(
        "check",
        help="load, run and probe a model; compare with a reference",
        description=(
            "Load MODEL with onnxruntime, show its signature, run it on synthesised "
            "inputs or --sample, probe it with invalid input, and with --reference "
            "check its outputs within --rtol/--atol."
        ),
    )
    _common(check)
    check.add_argument(
        "--sample",
        metavar="FILE",
        help="input values: .npz/.json keyed by input name, .npy, or .csv for one tabular input",
    )
    check.add_argument(
        "--reference",
        metavar="FILE",
        help="expected outputs (.npz/.json keyed by output name, or .npy/.csv for the first)",
    )
    check.add_argument("--rtol", type=_non_negative_float, default=1e-4, help="default 1e-4")
    check.add_argument("--atol", type=_non_negative_float, default=1e-5, help="default 1e-5")
    check.add_argument(
        "--batch-size",
        type=_positive_int,
        default=1,
        metavar="N",
        help="fills symbolic dims of synthesised inputs (default 1)",
    )
    check.add_argument("--no-probes", action="store_true", help="skip the robustness probes")
    check.add_argument(
        "--timeout",
        type=_positive_float,
        default=120.0,
        metavar="SECONDS",
        help="limit for each step: load, inference, one probe (default 120)",
    )
    check.add_argument(
        "--deadline",
        type=_positive_float,
        default=600.0,
        metavar="SECONDS",
        help="limit for the whole check; steps not done by then fail (default 600)",
    )

    profile = sub.add_parser(
        "profile",
        help="latency, throughput and memory over a settings grid; recommend one",
        description=(
            "Measure MODEL over intra-op threads x graph optimisation level x batch "
            "size, each (threads, level) in a fresh process, and recommend the "
            "setting with the best latency under --min-throughput / --max-memory-mb."
        ),
    )
    _common(profile)
    profile.add_argument(
        "--threads",
        type=_int_list,
        metavar="N,N",
        help="intra-op thread counts (default: 1 and the number of usable CPUs)",
    )
    profile.add_argument(
        "--opt-levels",
        type=_opt_list,
        default=list(_OPT_LEVELS),
        metavar="LEVELS",
        help=f"graph optimisation levels from {','.join(_OPT_LEVELS)} (default: all four)",
    )
    profile.add_argument(
        "--batch-sizes",
        type=_int_list,
        default=[1, 8, 32],
        metavar="N,N",
        help="batch sizes (default 1,8,32)",
    )
    profile.add_argument(
        "--warmup", type=_non_negative_int, default=10, metavar="N", help="default 10"
    )
    profile.add_argument(
        "--runs", type=_positive_int, default=200, metavar="N", help="timed runs (default 200)"
    )
    profile.add_argument(
        "--max-seconds",
        type=_positive_float,
        default=1.0,
        metavar="S",
        help="stop timing a setting after S seconds, at least 10 runs (default 1)",
    )
    profile.add_argument(
        "--min-throughput",
        type=_non_negative_float,
        metavar="PER_S",
        help="recommend only settings with at least this many samples per second",
    )
    profile.add_argument(
        "--max-memory-mb",
        type=_positive_float,
        metavar="MIB",
        help="recommend only settings whose session peaks at most at this many MiB",
    )
    profile.add_argument(
        "--objective",
        choices=("p50", "p95", "p99"),
        default="p50",
        help="the latency to minimise (default p50)",
    )
    profile.add_argument(
        "--sample", metavar="FILE", help="input rows to repeat into each batch (as for check)"
    )
    profile.add_argument(
        "--timeout",
        type=_positive_float,
        default=300.0,
        metavar="SECONDS",
        help="limit for one setting (default 300)",
    )
    profile.add_argument(
        "--deadline",
        type=_positive_float,
        default=3600.0,
        metavar="SECONDS",
        help="limit for the whole profile; settings not reached by then fail (default 3600)",
    )


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL.onnx", help="the model file")
    p.add_argument(
        "--memory-limit",
        type=_size_or_none,
        default=8 * 1024**3,
        metavar="SIZE",
        help="address-space limit of the onnxruntime process; a model that needs more "
        "exits 2 (default 8GiB; 'none' for no limit)",
    )
    p.add_argument(
        "--dim",
        action="append",
        type=_dim,
        default=[],
        metavar="NAME=N",
        help="value for a named symbolic dim (repeatable); others get the batch size",
    )
    p.add_argument(
        "--max-bytes",
        type=_size,
        default=2 * 1024**3,
        metavar="SIZE",
        help="refuse models larger than this, external data included (default 2GiB)",
    )
    _options.add_format(p, _FORMATS, default=None, help_suffix="; `text` is an old name")
    p.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")


# ------------------------------------------------------------------ flag types


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = _float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {text}")
    return value


def _int_list(text: str) -> list[int]:
    items = [s for s in text.replace(" ", "").split(",") if s]
    if not items:
        raise argparse.ArgumentTypeError("give one or more numbers, e.g. 1,2")
    return [_positive_int(s) for s in items]


def _opt_list(text: str) -> list[str]:
    items = [s for s in text.replace(" ", "").split(",") if s]
    bad = [s for s in items if s not in _OPT_LEVELS]
    if bad or not items:
        raise argparse.ArgumentTypeError(
            f"unknown level(s) {', '.join(bad) or '(none)'}; choose from {','.join(_OPT_LEVELS)}"
        )
    return items


def _dim(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=N, got {text!r}")
    return name.strip(), _non_negative_int(value)


_size = _options.size
_size_or_none = _options.size_or_none


# ------------------------------------------------------------------ run


def run(args: argparse.Namespace) -> int:
    if args.model_command == "check":
        return _run_check(args)
    return _run_profile(args)


def _run_check(args: argparse.Namespace) -> int:
    from mlops_factory._io import check_output_path
    from mlops_factory._onnx import check_model

    args.format = _options.output_format(args.format, args.output, _FORMATS)
    if args.output:
        check_output_path(args.output)  # before the run, not after it

    report = check_model(
        args.model,
        sample=args.sample,
        reference=args.reference,
        rtol=args.rtol,
        atol=args.atol,
        batch_size=args.batch_size,
        dims=dict(args.dim),
        probes=not args.no_probes,
        max_bytes=args.max_bytes,
        timeout=args.timeout,
        deadline=args.deadline,
        memory_limit=args.memory_limit,
    )
    if args.format == "json":
        _emit_json(report.to_dict(), args.output)
    else:
        _emit_text(lambda console: _render_check(console, report), args.output)
    return 0 if report.ok else 1


def _run_profile(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from mlops_factory._io import check_output_path
    from mlops_factory._onnx import ProfileResult, profile_model

    args.format = _options.output_format(args.format, args.output, _FORMATS)
    if args.output:
        check_output_path(args.output)  # before the run, not after it

    err = Console(stderr=True)
    with Progress(
        TextColumn("profiling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, last: ProfileResult | None) -> None:
            text = "" if last is None else last.setting.describe()
            bar.update(task, completed=done, total=total, description=text)

        report = profile_model(
            args.model,
            threads=args.threads,
            opt_levels=args.opt_levels,
            batch_sizes=args.batch_sizes,
            warmup=args.warmup,
            runs=args.runs,
            max_seconds=args.max_seconds,
            min_throughput=args.min_throughput,
            max_memory_mb=args.max_memory_mb,
            objective=args.objective,
            sample=args.sample,
            dims=dict(args.dim),
            max_bytes=args.max_bytes,
            timeout=args.timeout,
            deadline=args.deadline,
            memory_limit=args.memory_limit,
            progress=progress,
        )
    if args.format == "json":
        _emit_json(report.to_dict(), args.output)
    else:
        _emit_text(lambda console: _render_profile(console, report), args.output)
    return 0 if report.ok else 1


# ------------------------------------------------------------------ output


def _emit_json(data: dict[str, Any], output: str | None) -> None:
    import json

    from mlops_factory._io import write_output

    text = json.dumps(data, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text)


def _emit_text(render: Any, output: str | None) -> None:
    from rich.console import Console

    from mlops_factory._io import write_output

    if output is None:
        render(Console())
        return
    console = Console(record=True, width=120, file=open(os.devnull, "w"))  # noqa: SIM115
    try:
        render(console)
    finally:
        console.file.close()
    write_output(output, console.export_text())


def _safe(text: str | None) -> str:
    from mlops_factory._text import markup

    return markup(text)


def _model_line(report: ModelCheckReport | ProfileReport) -> str:
    from mlops_factory._onnx._validate import human_bytes

    m = report.model
    opsets = ", ".join(f"{d} {v}" for d, v in m.opsets.items()) or "none"
    size = human_bytes(m.size_bytes)
    if m.external_data_bytes:
        size += f" + {human_bytes(m.external_data_bytes)} external data"
    producer = f"{m.producer_name} {m.producer_version}".strip() or "unknown"
    return f"{size}, IR {m.ir_version}, opsets {opsets}, producer {producer}"


def _render_check(console: Console, report: ModelCheckReport) -> None:
    from rich.table import Table

    from mlops_factory._onnx._report import format_shape

    console.print(f"[bold]{_safe(report.model.path)}[/]  {_safe(_model_line(report))}")
    console.print(f"onnxruntime {report.onnxruntime_version} (CPU)")

    inputs = Table(title="Inputs", title_justify="left")
    for col in ("name", "type", "shape"):
        inputs.add_column(col)
    for spec in report.inputs:
        inputs.add_row(_safe(spec.name), spec.type, format_shape(spec.shape))
    console.print(inputs)

    observed = {o.name: o for o in report.inference.outputs}
    outputs = Table(title="Outputs", title_justify="left")
    for col in ("name", "type", "shape", "observed"):
        outputs.add_column(col, overflow="fold")
    for spec in report.outputs:
        seen = observed.get(spec.name)
        outputs.add_row(
            _safe(spec.name),
            spec.type,
            format_shape(spec.shape),
            "-" if seen is None else _safe(seen.describe()),
        )
    console.print(outputs)

    inf = report.inference
    if inf.ok:
        took = "" if inf.latency_ms is None else f" in {inf.latency_ms:.2f} ms"
        console.print(f"[green]✓[/] inference on {_safe(inf.source)}{took}")
    else:
        console.print(
            f"[red]✗[/] inference on {_safe(inf.source)} failed: {_safe(inf.error or '')}"
        )

    if report.probes:
        probes = Table(title="Robustness probes", title_justify="left")
        for col in ("", "probe", "outcome", "fed / what happened"):
            probes.add_column(col, overflow="fold")
        for p in report.probes:
            mark = "[dim]-[/]" if p.outcome == "skipped" else "[green]✓[/]" if p.ok else "[red]✗[/]"
            outcome: str = p.outcome
            if p.expected == "reject" and p.outcome == "accepted":
                outcome += " (must reject)"
            fed = f"[dim]{_safe(p.fed)}[/]\n" if p.fed else ""
            probes.add_row(mark, p.title, outcome, fed + _safe(p.detail))
        console.print(probes)

    parity = report.parity
    if parity is not None:
        tolerance = f"rtol {parity.rtol:g}, atol {parity.atol:g}"
        table = Table(
            title=f"Parity with {_safe(parity.reference)} ({tolerance})", title_justify="left"
        )
        for col in ("", "output", "mismatched", "max abs diff", "max rel diff", "detail"):
            table.add_column(col, overflow="fold")
        for o in parity.outputs:
            table.add_row(
                "[green]✓[/]" if o.ok else "[red]✗[/]",
                _safe(o.name),
                f"{o.mismatched}/{o.total}",
                "-" if o.max_abs_diff is None else f"{o.max_abs_diff:.3g}",
                "-" if o.max_rel_diff is None else f"{o.max_rel_diff:.3g}",
                _safe(o.detail),
            )
        console.print(table)

    if report.ok:
        console.print("[bold green]✓ model check passed[/]")
    else:
        console.print("[bold red]✗ model check failed:[/]")
        for problem in report.problems:
            console.print(f"  - {_safe(problem)}")


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _render_profile(console: Console, report: ProfileReport) -> None:
    from rich.table import Table

    m = report.machine
    console.print(f"[bold]{_safe(report.model.path)}[/]  {_safe(_model_line(report))}")
    console.print(
        f"machine: {m.cpu_count} CPUs ({m.usable_cpus} usable, {_safe(m.cpu_model)}), "
        f"onnxruntime {m.onnxruntime_version}, Python {m.python_version}"
    )
    from rich import box

    table = Table(
        title="Latency per run (ms), throughput (samples/s), session peak memory (MiB)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for col in ("", "threads", "opt", "batch", "p50", "p95", "p99", "samples/s", "peak MiB"):
        table.add_column(col, justify="left" if col == "opt" else "right", no_wrap=True)
    failed = []
    for r in report.results:
        best = r is report.recommended
        s = r.setting
        if r.error:
            failed.append(f"{s.describe()}: {r.error}")
        table.add_row(
            "★" if best else ("[red]✗[/]" if r.error else ""),
            str(s.threads),
            s.opt_level,
            str(s.batch_size),
            _ms(r.p50_ms),
            _ms(r.p95_ms),
            _ms(r.p99_ms),
            _fmt(r.throughput, ",.0f"),
            _fmt(r.peak_memory_mb, ".1f"),
            style="bold green" if best else None,
        )
    console.print(table)
    for line in failed:
        console.print(f"[red]✗[/] {_safe(line)}")
    rec = report.recommended
    if rec is None:
        console.print(f"[bold red]✗ no recommendation:[/] {_safe(report.recommendation)}")
    else:
        console.print(
            f"[bold green]★ recommended:[/] {rec.setting.describe()}: p50 {_ms(rec.p50_ms)} ms, "
            f"p95 {_ms(rec.p95_ms)} ms, {_fmt(rec.throughput, ',.0f')} samples/s, "
            f"peak {_fmt(rec.peak_memory_mb, '.1f')} MiB ({_safe(report.recommendation)})"
        )
    console.print(f"[dim]peak memory: {_safe(m.memory_method)}[/]")
