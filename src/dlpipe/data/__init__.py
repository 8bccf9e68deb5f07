"""Arrays -> batches: DataModules, windows, rating matrices and tensor loaders (no networks)."""
