"""What each DVC stage does, one module per family: read inputs, call training/evaluation, hand
plain results to reporting/, write through the stage runner's output locations."""
