"""Figures as RGB arrays, drawn without pyplot's global state so they are safe anywhere."""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


def _to_rgb(fig: Figure) -> np.ndarray:
    """The figure as an RGB array, cut to what it draws (labels are never clipped)."""
    import cv2

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.05, facecolor="white")
    bgr = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def confusion_matrix_image(matrix: np.ndarray, class_names: list[str], title: str = "") -> np.ndarray:
    """Rows = true class, columns = predicted; colour = share of the row, text = counts."""
    matrix = np.asarray(matrix, dtype=np.int64)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    n = len(class_names)
    fig = Figure(figsize=(1.0 + 0.7 * n, 0.8 + 0.65 * n), dpi=100)
    ax = fig.add_subplot()
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                str(matrix[i, j]),
                ha="center",
                va="center",
                color="white" if shares[i, j] > 0.6 else "black",
                fontsize=8,
            )
    ax.set_xticks(range(n), class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _to_rgb(fig)


def image_grid(tiles: list[np.ndarray], columns: int, tile_size: int = 48, pad: int = 2) -> np.ndarray:
    """uint8 grid of tiles, each stretched to its own 0..255 range and resized to tile_size."""
    import cv2

    rows = max(1, -(-len(tiles) // columns))
    grid = np.full((rows * (tile_size + pad) + pad, columns * (tile_size + pad) + pad), 255, np.uint8)
    for i, tile in enumerate(tiles):
        tile = np.asarray(tile, dtype=np.float32)
        low, high = float(tile.min()), float(tile.max())
        scaled = np.zeros_like(tile) if high <= low else (tile - low) / (high - low) * 255
        shown = cv2.resize(scaled.astype(np.uint8), (tile_size, tile_size), interpolation=cv2.INTER_NEAREST)
        r, c = divmod(i, columns)
        grid[
            pad + r * (tile_size + pad) : pad + r * (tile_size + pad) + tile_size,
            pad + c * (tile_size + pad) : pad + c * (tile_size + pad) + tile_size,
        ] = shown
    return grid


def heatmap_image(
    matrix: np.ndarray,
    row_labels: list[str],
    column_labels: list[str],
    title: str = "",
    vmin: float = 0.0,
    vmax: float = 1.0,
    marked: list[tuple[int, int]] = (),
) -> np.ndarray:
    """Rows x columns coloured by value (e.g. units x AUs AUROC), with the values written in; the
    `marked` (row, column) cells are outlined.
    """
    rows, cols = matrix.shape
    fig = Figure(figsize=(1.2 + 0.55 * cols, 0.8 + 0.35 * rows), dpi=100)
    ax = fig.add_subplot()
    shown = ax.imshow(matrix, cmap="magma", vmin=vmin, vmax=vmax, aspect="auto")
    for i in range(rows):
        for j in range(cols):
            if np.isfinite(matrix[i, j]):
                ax.text(
                    j,
                    i,
                    f"{matrix[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if matrix[i, j] < (vmin + vmax) / 2 else "black",
                )
    for i, j in marked:
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#00b4ff", linewidth=2))
    ax.set_xticks(range(cols), column_labels, fontsize=7)
    ax.set_yticks(range(rows), row_labels, fontsize=7)
    fig.colorbar(shown, ax=ax, fraction=0.04)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _to_rgb(fig)


def labelled_rows_image(
    rows: list[list[np.ndarray]], labels: list[str], tile_size: int = 48, title: str = ""
) -> np.ndarray:
    """One row of tiles per label (e.g. an AU's best filter and its top patches), the label on the left."""
    columns = max(len(r) for r in rows)
    tiles = [t for r in rows for t in r + [np.zeros((1, 1))] * (columns - len(r))]
    grid = image_grid(tiles, columns, tile_size)
    fig = Figure(figsize=(1.5 + grid.shape[1] / 100, 0.4 + grid.shape[0] / 100), dpi=100)
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255)
    ax.set_yticks([2 + (tile_size + 2) * i + tile_size / 2 for i in range(len(rows))], labels, fontsize=8)
    ax.set_xticks([])
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _to_rgb(fig)


def curves_image(history: list[dict[str, float]], title: str = "") -> np.ndarray:
    """Per-epoch training and validation figures side by side: the loss, then each other metric the
    history holds (e.g. acc), train and val on the same axes. `history` rows hold "epoch" and
    "<stage>/<metric>" keys (`FaceTask.history`).
    """
    metrics = sorted({key.split("/", 1)[1] for row in history for key in row if "/" in key}, key=lambda m: m != "loss")
    fig = Figure(figsize=(3.2 * max(len(metrics), 1), 2.6), dpi=100)
    for index, metric in enumerate(metrics, start=1):
        ax = fig.add_subplot(1, len(metrics), index)
        for stage, style in (("train", "-"), ("val", "--")):
            points = [(row["epoch"], row[f"{stage}/{metric}"]) for row in history if f"{stage}/{metric}" in row]
            if points:
                epochs, values = zip(*points, strict=True)
                ax.plot(epochs, values, style, marker=".", label=stage)
        ax.set_xlabel("epoch")
        ax.set_title(metric, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _to_rgb(fig)
