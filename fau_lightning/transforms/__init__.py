"""The paper's augmentation: per image on the CPU (albumentations) and per batch on any device."""
