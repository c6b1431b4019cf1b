"""What exercises on TransformerLens share: the models (models.py, arena.py, the embedded default
model and its training: train.py, train_data.py), plain-data descriptions of inputs (specs.py, on the
judge's side) and the fixtures and the "hook" driver that build them (fixtures.py, in the worker)."""
