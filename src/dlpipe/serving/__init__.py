"""What the `dlpipe` command serves: predictions from trained models, and facts about the project.

Every function returns a value (the command prints it) and raises `ServingError`, whose message
names the missing or wrong thing and what to do, for an expected failure. Modules here import
their heavy dependencies (torch, OpenCV) themselves; this package's `__init__` stays light.
"""

from dlpipe.serving.errors import ServingError

__all__ = ["ServingError"]
