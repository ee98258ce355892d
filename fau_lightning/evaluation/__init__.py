"""Protocol results: the cross-validation summary and the pixel baseline."""
