"""Figures as RGB arrays: image grids, heatmaps, confusion matrices."""
