"""Where the studies live: Optuna's journal file under the repository (the default), or an RDB.

The journal (`optuna.storages.journal.JournalFileBackend`) appends one operation per line under
a file lock, so several processes on one machine share a study without SQLite's "database is
locked". It lives in the *origin* repository (like mlruns/), so a `dvc exp run --temp` copy adds
its trials to the same study. For workers on several machines, set `tuning.storage` to a
PostgreSQL URL (`postgresql://user:password@host/db`; psycopg is pinned); an
`sqlite:///` URL works for one machine, with a long lock timeout.

Every process opens its own handle (`open_storage`): a storage object is not shared across
processes.
"""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend

from dlpipe.config.sections_tuning import TuningConfig
from dlpipe.paths import origin_root
from dlpipe.redact import redact

SQLITE_TIMEOUT_S = 60  # how long a writer waits for SQLite's lock before "database is locked"


def journal_path(root: Path, tuning: TuningConfig) -> Path:
    """The journal file: `tuning.journal` under the origin repository (absolute as given)."""
    path = Path(tuning.journal).expanduser()
    return path if path.is_absolute() else origin_root(root) / path


def storage_location(root: Path, tuning: TuningConfig) -> str:
    """What `optuna-dashboard` is given: the RDB URL, or the journal file's path."""
    return tuning.storage or str(journal_path(root, tuning))


def recorded_location(root: Path, tuning: TuningConfig) -> str:
    """The storage as reports record it: the journal relative to the repository (an absolute
    machine path would differ per clone and leak the home folder), an RDB URL without its
    password."""
    if tuning.storage:
        return redact(tuning.storage)
    path = journal_path(root, tuning)
    try:
        return path.relative_to(origin_root(root)).as_posix()
    except ValueError:  # a journal outside the repository: only its name says anything portable
        return path.name


def open_storage(root: Path, tuning: TuningConfig) -> BaseStorage:
    """A new storage handle for this process (the journal file is created when missing)."""
    if tuning.storage:
        engine_kwargs = {}
        if tuning.storage.startswith("sqlite"):
            engine_kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
        return RDBStorage(tuning.storage, engine_kwargs=engine_kwargs)
    path = journal_path(root, tuning)
    path.parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(path)))


def study_names(storage: BaseStorage) -> list[str]:
    """Every study in the storage, by name."""
    return [summary.study_name for summary in optuna.get_all_study_summaries(storage)]


def main() -> None:
    """`python -m dlpipe.tuning.storage`: print the storage `optuna-dashboard` should open (the
    journal file is created when missing, so the dashboard starts before any study)."""
    from dlpipe.config import load_params
    from dlpipe.paths import project_root

    root = project_root()
    tuning = load_params(root / "params.yaml").tuning
    if not tuning.storage:
        path = journal_path(root, tuning)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    print(storage_location(root, tuning))


if __name__ == "__main__":
    main()
