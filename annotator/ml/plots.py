"""`evaluate --plots DIR`: a reliability diagram (one panel per head) and a confusion matrix,
drawn from the report's numbers with matplotlib (its Agg canvas: no screen needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_HEAD_TITLES = {"event": "fused label", "audio": "audio head", "visual": "visual head"}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # a bare Figure needs no GUI backend

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def reliability_diagram(report: dict, path) -> Path:
    """Accuracy against confidence per bin, for every head in the report; the diagonal is
    perfect calibration, bar widths are the bins, the numbers in the title are ECE."""
    reliability = report["reliability"]
    ece = report["expected_calibration_error"]
    figure = _figure(3.6 * len(reliability), 3.8)
    axes = figure.subplots(1, len(reliability), squeeze=False)[0]
    for axis, (head, bins) in zip(axes, reliability.items()):
        width = 1 / ece["bins"]
        lows = [b["low"] for b in bins]
        axis.bar(
            lows,
            [b["accuracy"] for b in bins],
            width=width,
            align="edge",
            color="#4C72B0",
            edgecolor="white",
            label="accuracy",
        )
        axis.bar(
            lows,
            [b["confidence"] - b["accuracy"] for b in bins],
            width=width,
            bottom=[b["accuracy"] for b in bins],
            align="edge",
            color="#DD8452",
            alpha=0.45,
            edgecolor="none",
            label="gap to confidence",
        )
        axis.plot(
            [0, 1], [0, 1], color="black", linewidth=1, linestyle="--", label="perfect calibration"
        )
        axis.set(
            xlim=(0, 1),
            ylim=(0, 1),
            xlabel="confidence",
            ylabel="accuracy",
            title=f"{_HEAD_TITLES.get(head, head)}: ECE {ece.get(head, 0):.3f}",
        )
        counts = axis.twinx()
        counts.plot(
            [b["low"] + width / 2 for b in bins],
            [b["count"] for b in bins],
            color="grey",
            marker=".",
            linewidth=0.8,
        )
        counts.set_yscale("log")
        counts.set_ylabel("seconds per bin (log)", color="grey")
    axes[0].legend(loc="upper left", fontsize=7)
    figure.suptitle(
        f"{report['model']} on {report.get('data', '')}: "
        f"{report['seconds']} seconds, {report['videos']} videos",
        fontsize=9,
    )
    figure.savefig(path)
    return Path(path)


def confusion_diagram(report: dict, path) -> Path:
    """Row-normalised confusion matrix (truth in rows), with the counts written in."""
    classes = report["confusion_matrix"]["classes"]
    counts = np.array(report["confusion_matrix"]["counts"], dtype=float)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    figure = _figure(1.0 + 0.6 * len(classes), 0.6 + 0.55 * len(classes))
    axis = figure.subplots()
    axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if counts[i, j]:
                axis.text(
                    j,
                    i,
                    int(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shares[i, j] > 0.5 else "black",
                )
    axis.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(range(len(classes)), classes, fontsize=8)
    axis.set(
        xlabel="predicted",
        ylabel="truth",
        title=f"{report['model']}: per-second confusion (row-normalised colour)",
    )
    figure.savefig(path)
    return Path(path)


def write_plots(report: dict, folder) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = report["model"].split("@")[0]
    return [
        reliability_diagram(report, folder / f"{name}-reliability.png"),
        confusion_diagram(report, folder / f"{name}-confusion.png"),
    ]
