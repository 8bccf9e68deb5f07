"""The build_report stage: every family's results, the tuning and the stage runs on one page."""
