"""A layer's activations over a dataset, reduced on the fly so memory stays bounded."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class SpatialMaxima:
    """Per image and unit: the maximum of the layer's map over the unit's cell, and where it is.

    With `cells` = 1 a unit is a whole filter map; with `cells` = 2 each map is cut into the four
    quadrants the network's quadrant pooling reads, and unit u is filter u // 4, quadrant u % 4
    (top left, top right, bottom left, bottom right).
    """

    values: np.ndarray  # float32 (N, U)
    rows: np.ndarray  # int64 (N, U), row in the whole map
    cols: np.ndarray  # int64 (N, U)
    map_size: tuple[int, int]  # (H, W) of the layer's maps
    cells: int = 1  # cells per side of each map

    def per_filter(self) -> "SpatialMaxima":
        """Each filter's maximum over its whole map (the strongest of its cells)."""
        if self.cells == 1:
            return self
        take = at_strongest_cell(self.values, self.cells)
        return SpatialMaxima(take(self.values), take(self.rows), take(self.cols), self.map_size, 1)


def at_strongest_cell(values: np.ndarray, cells: int) -> Callable[[np.ndarray], np.ndarray]:
    """For unit values (N, F·cells²), cells per filter side: a function taking any array of that layout to
    (N, F), each filter's entry at the cell where its value is largest.
    """
    n, per = len(values), cells**2
    pick = values.reshape(n, -1, per).argmax(axis=2)[..., None]
    return lambda a: np.take_along_axis(a.reshape(n, -1, per), pick, axis=2)[..., 0]


CELL_NAMES = {1: ("",), 2: ("top left", "top right", "bottom left", "bottom right")}


def unit_name(unit: int, cells: int) -> str:
    """A unit as people read it: "f118" or "f118 top left"."""
    per = cells**2
    where = CELL_NAMES.get(cells, tuple(f"cell {i}" for i in range(per)))[unit % per]
    return f"f{unit // per}" + (f" {where}" if where else "")


def _cell_bounds(size: int, cells: int) -> list[tuple[int, int]]:
    """Adaptive pooling's windows along one axis: cell i covers [floor(i*size/cells), ceil((i+1)*size/cells))."""
    return [(i * size // cells, -(-(i + 1) * size // cells)) for i in range(cells)]


def _images(batch) -> torch.Tensor:
    return batch[0] if isinstance(batch, (tuple, list)) else batch


def _memory_format(model: nn.Module) -> torch.memory_format:
    """The memory format of the model's convolution weights (channels-last or the default)."""
    weights = [p for p in model.parameters() if p.dim() == 4]
    last = weights and weights[0].is_contiguous(memory_format=torch.channels_last) and not weights[0].is_contiguous()
    return torch.channels_last if last else torch.contiguous_format


def _forward_to(model: nn.Module, layer: str, images: torch.Tensor, captured: list[torch.Tensor]) -> torch.Tensor:
    """The output of `layer` for `images`: a layer of a top-level `nn.Sequential` is reached by
    running that Sequential only up to it; any other layer by a forward pass stopped at it. Nothing
    after the layer is computed.

    On the way, a ReLU followed by a max pool runs after it instead: max and ReLU commute exactly, and
    the ReLU then touches a quarter of the values.
    """
    parent, _, name = layer.rpartition(".")
    container = model.get_submodule(parent) if parent else None
    if isinstance(container, nn.Sequential) and "." not in parent:
        children = list(container.named_children())
        x, deferred = images, None
        for index, (child_name, child) in enumerate(children):
            following = children[index + 1][1] if index + 1 < len(children) else None
            if isinstance(child, nn.ReLU) and isinstance(following, nn.MaxPool2d) and child_name != name:
                deferred = child
                continue
            x = child(x)
            if deferred is not None:
                x, deferred = deferred(x), None
            if child_name == name:
                captured.clear()
                return x
    maps = stopped_at(model, layer, images)
    captured.clear()  # the hook that fills it fired before the pass was stopped
    return maps


class _Reached(Exception):
    """Carries a layer's output out of a forward pass that need go no further."""


def stopped_at(model: nn.Module, layer: str, images: torch.Tensor) -> torch.Tensor:
    """The output of any `layer` for `images`, the forward pass stopped there (nothing after it is computed)."""

    def stop(_module: nn.Module, _inputs: tuple, out: torch.Tensor) -> None:
        raise _Reached(out)

    hook = model.get_submodule(layer).register_forward_hook(stop)
    try:
        model(images)
    except _Reached as reached:
        return reached.args[0]
    finally:
        hook.remove()
    raise RuntimeError(f"{layer} was not reached by the forward pass")


@torch.no_grad()
def spatial_maxima(
    model: nn.Module,
    layer: str,
    batches: Iterable,
    device: str | torch.device = "cpu",
    cells: int = 1,
    channels_last: bool = False,
) -> SpatialMaxima:
    """Run `batches` (tensors, or (images, ...) tuples from a DataLoader) through `model` and keep,
    for `layer` (a dotted module name such as "features.relu3"), the maximum of each map's cells
    (`cells` per side, cut as adaptive pooling cuts) and its position. Only one batch of maps is
    alive at a time. `channels_last` runs the convolutions in that memory format (about 1.6x faster
    on CPU; values agree to about 1e-5, not to the bit).
    """
    module = model.get_submodule(layer)
    captured: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda _m, _i, out: captured.append(out))
    values, rows, cols = [], [], []
    size = (0, 0)
    was_training = model.training
    model.eval()
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    own_format = _memory_format(model)
    model.to(memory_format=memory_format)
    try:
        for batch in batches:
            maps = _forward_to(model, layer, _images(batch).to(device, memory_format=memory_format), captured)
            n, f, h, w = maps.shape
            size = (h, w)
            cell_values, cell_rows, cell_cols = [], [], []
            for r0, r1 in _cell_bounds(h, cells):
                for c0, c1 in _cell_bounds(w, cells):
                    best, where = maps[:, :, r0:r1, c0:c1].reshape(n, f, -1).max(dim=2)
                    cell_values.append(best.float())
                    cell_rows.append(r0 + where // (c1 - c0))
                    cell_cols.append(c0 + where % (c1 - c0))
            values.append(torch.stack(cell_values, dim=2).reshape(n, -1).cpu())  # unit = filter * cells² + cell
            rows.append(torch.stack(cell_rows, dim=2).reshape(n, -1).cpu())
            cols.append(torch.stack(cell_cols, dim=2).reshape(n, -1).cpu())
    finally:
        handle.remove()
        model.train(was_training)
        model.to(memory_format=own_format)
    return SpatialMaxima(torch.cat(values).numpy(), torch.cat(rows).numpy(), torch.cat(cols).numpy(), size, cells)


def top_k_images(scores: np.ndarray, k: int) -> np.ndarray:
    """(F, k) indices of the images that excite each filter most (scores (N, F)), strongest first."""
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1, axis=0)[:k]  # (k, F), unordered
    order = np.argsort(-np.take_along_axis(scores, part, axis=0), axis=0, kind="stable")
    return np.take_along_axis(part, order, axis=0).T
