"""Training speed of the two bodies on the same batches, measured in one run (their ratio is what holds
from one machine or session to the next; docs/results/backbones.md).

    python scripts/benchmark_backbones.py                 # 48 px, batch 64, this machine's threads
    python scripts/benchmark_backbones.py --image_size 96

Each network does `--steps` SGD steps (forward, cross-entropy, backward, update) on random images after
`--warmup` untimed ones; the networks alternate `--repeats` times and the medians are compared, as the
machine may be shared. Also: parameters, and inference images/s.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fau_lightning.models.factory import NetworkSpec  # noqa: E402

NETWORKS = {"zero-bias CNN (dropout 0.5)": NetworkSpec(options={"dropout": 0.5}), "ResNet-18": NetworkSpec("resnet18")}


def images_per_second(network: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int, train: bool):
    optimiser = torch.optim.SGD(network.parameters(), lr=0.01, momentum=0.9)
    network.train(train)
    start = time.perf_counter()
    for _ in range(steps):
        if train:
            optimiser.zero_grad(set_to_none=True)
            F.cross_entropy(network(images), labels).backward()
            optimiser.step()
        else:
            with torch.no_grad():
                network(images)
    return steps * len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image_size", type=int, default=48)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    images = torch.rand(args.batch_size, 1, args.image_size, args.image_size)
    labels = torch.randint(0, 8, (args.batch_size,))
    networks = {name: spec.build() for name, spec in NETWORKS.items()}
    timings: dict[str, dict[str, list[float]]] = {name: {"train": [], "infer": []} for name in networks}
    for name, network in networks.items():
        images_per_second(network, images, labels, args.warmup, train=True)
    for _ in range(args.repeats):
        for name, network in networks.items():
            timings[name]["train"].append(images_per_second(network, images, labels, args.steps, train=True))
            timings[name]["infer"].append(images_per_second(network, images, labels, args.steps, train=False))
    print(
        f"{args.image_size}x{args.image_size}, batch {args.batch_size}, {torch.get_num_threads()} threads, "
        f"median of {args.repeats} alternations of {args.steps} steps\n"
    )
    print("| network | parameters | training images/s | inference images/s | training time vs zero-bias CNN |")
    print("|---|---|---|---|---|")
    base = statistics.median(timings[next(iter(networks))]["train"])
    for name, network in networks.items():
        train, infer = (statistics.median(timings[name][k]) for k in ("train", "infer"))
        parameters = sum(p.numel() for p in network.parameters())
        print(f"| {name} | {parameters / 1e6:.2f} M | {train:.0f} | {infer:.0f} | {base / train:.2f}x |")


if __name__ == "__main__":
    main()
