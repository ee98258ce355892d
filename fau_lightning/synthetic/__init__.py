"""The built-in dataset: procedural FACS faces written in the exact CK+ layout."""
