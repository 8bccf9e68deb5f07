"""Pure metric functions, baselines and statistical checks: no training, no I/O."""
