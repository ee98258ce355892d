"""`python -m fau_lightning` is `fau-train`."""

from fau_lightning.cli.train import main

if __name__ == "__main__":
    main()
