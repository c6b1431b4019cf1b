"""The exercise packs shipped with the engine; each folder declares one (see induction_heads/)."""
