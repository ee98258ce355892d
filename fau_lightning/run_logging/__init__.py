"""What a run sends to Lightning's loggers (W&B, TensorBoard, CSV): images and an evaluation."""
