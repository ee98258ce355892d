"""Using a trained model: what its checkpoint records, finding and classifying faces in photos and
videos, writing the rows, and exporting the network with a model card. No Lightning Trainer needed.
"""
