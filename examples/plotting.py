"""Pictures for the examples, drawn with matplotlib's file-only Agg backend: small PNGs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

import nn

COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"]
DPI = 80


def decision_regions(model: nn.Module, X: Sequence[Sequence[float]], labels: Sequence[int],
                     path: Path, title: str, resolution: int = 60) -> Path:
    """The data coloured by class over the regions where the model predicts each class.

    labels are class indices (0, 1, ...), as nn.classify gives them.
    """
    xs, ys = [row[0] for row in X], [row[1] for row in X]
    pad = 0.25 * max(max(xs) - min(xs), max(ys) - min(ys))
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    gx = [x0 + (x1 - x0) * i / (resolution - 1) for i in range(resolution)]
    gy = [y0 + (y1 - y0) * j / (resolution - 1) for j in range(resolution)]
    grid = [[x, y] for y in gy for x in gx]
    n_classes = max(labels) + 1
    cmap = ListedColormap(COLORS[:max(n_classes, 2)])
    fig, ax = plt.subplots(figsize=(4.5, 4.0))
    outputs = nn.predict(model, grid)
    field: list[float] = []
    for out in outputs:
        if isinstance(out, list):  # several outputs: the regions where each is the largest
            field.append(max(range(len(out)), key=out.__getitem__))
        else:  # one output: the score itself, cut at the threshold for a smooth boundary
            field.append(out)
    cut = nn.decision_threshold(model)
    many = isinstance(outputs[0], list)
    levels = ([k - 0.5 for k in range(n_classes + 1)] if many
              else [min(*field, cut) - 1.0, cut, max(*field, cut) + 1.0])
    rows = [field[j * resolution:(j + 1) * resolution] for j in range(resolution)]
    ax.contourf(gx, gy, rows, levels=levels, cmap=cmap, alpha=0.25)
    size = 60 if len(X) < 20 else 14
    ax.scatter(xs, ys, c=[COLORS[k] for k in labels], s=size, edgecolors="black", linewidths=0.4)
    ax.set(title=title, xlim=(x0, x1), ylim=(y0, y1), xticks=[], yticks=[])
    return _save(fig, path)


def curves(panels: Mapping[str, Mapping[str, Sequence[float]]], path: Path, xlabel: str,
           log: bool = False) -> Path:
    """Side by side, one panel per title, one line per named series against its index."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.2), squeeze=False)
    for ax, (title, series) in zip(axes[0], panels.items(), strict=True):
        for name, values in series.items():
            ax.plot(range(1, len(values) + 1), values, label=name, linewidth=1.2)
        ax.set(title=title, xlabel=xlabel)
        if log:
            ax.set_yscale("log")
        if len(series) > 1:
            ax.legend(fontsize=8)
    return _save(fig, path)


def lines(x: Sequence[float], series: Mapping[str, Sequence[float]], path: Path, title: str,
          xlabel: str) -> Path:
    """One panel, one line per named series against x."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for name, values in series.items():
        ax.plot(x, values, label=name, linewidth=1.2)
    ax.set(title=title, xlabel=xlabel)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def two_class_indices(y: Sequence[float]) -> list[int]:
    """Labels -1/+1 as class indices 0/1."""
    return [int(t > 0) for t in y]
