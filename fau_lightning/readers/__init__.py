"""Pure dataset readers and preprocessing (no Lightning): CK+, TFD, FER2013, image folders, the face cache."""
