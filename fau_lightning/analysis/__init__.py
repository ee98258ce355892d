"""Analysis as pure functions: usable on any model or array, without a Trainer."""
