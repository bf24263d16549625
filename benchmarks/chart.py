"""The chart of how cost grows: wall time and peak memory of the full and the one-day
incremental build against the events of each size of a benchmark run (PNG, matplotlib)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.report import TARGETS


def write_chart(points: list[dict], path: Path) -> Path:
    """Two panels side by side, one line per build, the targets dashed; ``points`` are the
    rows of ``results["scaling"]`` (events, full_s, full_gb, incremental_s, ...)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen
    import matplotlib.pyplot as plt

    points = sorted(points, key=lambda p: p["events"])
    events = [p["events"] / 1e6 for p in points]
    fig, (time_ax, memory_ax) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=100)
    for ax, key, unit, limit, limit_label in (
        (time_ax, "s", "wall time (s)", TARGETS["full_build_s"], "600 s target"),
        (memory_ax, "gb", "peak memory (GB)", TARGETS["full_build_peak_gb"], "12 GB target"),
    ):
        for build, marker in (("full", "o"), ("incremental", "s")):
            values = [p[f"{build}_{key}"] if not p[f"{build}_rc"] else None for p in points]
            shown = [(e, v) for e, v in zip(events, values, strict=True) if v is not None]
            if shown:
                ax.plot(*zip(*shown, strict=True), marker=marker, label=f"{build} build")
        ax.axhline(limit, color="grey", linestyle="--", linewidth=1, label=limit_label)
        ax.set_xlabel("events (millions)")
        ax.set_ylabel(unit)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    time_ax.set_title("Build time", fontsize=10)
    memory_ax.set_title("Peak memory of the build process", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
