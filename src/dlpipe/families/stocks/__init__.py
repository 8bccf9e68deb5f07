"""The stocks family's stages, one module each: a stage depends only on what it uses."""
