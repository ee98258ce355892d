"""The console commands, one file each: fau-train, fau-crossval, fau-analyze, fau-baseline."""
