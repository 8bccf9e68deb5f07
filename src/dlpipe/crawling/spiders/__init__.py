"""Spiders: `gallery` (an index of people, or given start pages) and `wikimedia` (Commons)."""
