"""What tests share: fake-data writers, tiny settings, the W&B run reader."""
