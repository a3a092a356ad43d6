"""Storages: a SQLite study survives SIGKILL and resumes; workers share a PostgreSQL study."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import optuna
import pytest
from optuna.trial import TrialState

from sklearn_audio.tuning._study import make_storage

# One tuning worker: a slowed-down logistic regression (0.1 s per fit) on synthetic data,
# so trials last long enough to be caught running. Prints its result as JSON.
WORKER = """
import json, sys, time
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn_audio.tuning import tune

class SlowLogisticRegression(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        time.sleep(0.1)
        return super().fit(X, y, sample_weight)

storage, study_name, n_trials, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
X, y = make_classification(n_samples=60, n_features=5, n_classes=2, random_state=0)
space = {"C": [0.01, 0.1, 1.0, 10.0, 100.0]}
result = tune(SlowLogisticRegression(), X, y, param_distributions=space, n_trials=n_trials, cv=3,
              storage=storage, study_name=study_name, random_state=seed)
print(json.dumps({"ran": n_trials, "complete_in_study": result.n_trials["COMPLETE"]}))
"""


def start_worker(storage, study_name, n_trials, seed=0):
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, storage, study_name, str(n_trials), str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def load(url, study_name):
    # Through make_storage: it picks the installed PostgreSQL driver, which a bare
    # "postgresql://" URL does not name (SQLAlchemy 2.1 assumes psycopg 3).
    return optuna.load_study(study_name=study_name, storage=make_storage(url))


def states(url, study_name):
    return [t.state for t in load(url, study_name).get_trials(deepcopy=False)]


def wait_for_complete(proc, storage, study_name, n, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        try:
            if states(storage, study_name).count(TrialState.COMPLETE) >= n:
                return
        except KeyError:  # the study is not created yet
            pass
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"fewer than {n} trials completed in {timeout} s")


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_sqlite_study_survives_sigkill_and_resumes(tmp_path):
    url = f"sqlite:///{tmp_path / 'tuning.db'}"
    name = f"killed-{uuid.uuid4().hex[:8]}"
    proc = start_worker(url, name, n_trials=1000)
    wait_for_complete(proc, url, name, 2)
    # Let the next trial start, so the kill leaves one RUNNING.
    deadline = time.monotonic() + 10
    while TrialState.RUNNING not in states(url, name) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = load(url, name).trials
    completed = {t.number: t.value for t in before if t.state == TrialState.COMPLETE}
    assert len(completed) >= 2 and before[-1].state == TrialState.RUNNING

    resumed = start_worker(url, name, n_trials=3, seed=1)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err[-3000:]
    report = json.loads(out.strip().splitlines()[-1])
    after = load(url, name).trials
    # Every completed trial is kept, unchanged, and three new ones are added.
    assert {t.number: t.value for t in after if t.number in completed} == completed
    assert report["complete_in_study"] == len(completed) + 3
    assert [t.state for t in after[len(before):]] == [TrialState.COMPLETE] * 3
    print(f"\nSIGKILL resume: {len(completed)} complete before the kill (+1 RUNNING), "
          f"{report['complete_in_study']} complete after resuming with n_trials=3")

    # The killed process's heartbeat has stopped: once its grace period is over,
    # any worker's next trial marks it FAIL (here a grace period of 1 s).
    time.sleep(1.5)
    storage = optuna.storages.RDBStorage(url, heartbeat_interval=1, grace_period=1)
    optuna.storages.fail_stale_trials(optuna.load_study(study_name=name, storage=storage))
    assert TrialState.RUNNING not in states(url, name)
    assert states(url, name)[len(before) - 1] == TrialState.FAIL


@pytest.fixture(scope="module")
def postgres_url():
    """The test server's URL. Skips when unset outside CI; fails in CI or when set but down."""
    url = os.environ.get("SKLEARN_AUDIO_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail(
                "CI is set but SKLEARN_AUDIO_TEST_POSTGRES_URL is not: .ci/run starts "
                "PostgreSQL with .ci/postgres.sh and exports the URL."
            )
        pytest.skip(
            "PostgreSQL tests need a server: run `bash .ci/postgres.sh` and export "
            "SKLEARN_AUDIO_TEST_POSTGRES_URL to the URL it prints."
        )
    try:
        make_storage(url)
    except (ConnectionError, ImportError) as exc:
        pytest.fail(f"SKLEARN_AUDIO_TEST_POSTGRES_URL is set but unusable: {exc}")
    return url


@pytest.mark.postgres
def test_two_workers_share_one_postgresql_study(postgres_url):
    name = f"workers-{uuid.uuid4().hex[:8]}"
    n = 3
    workers = [start_worker(postgres_url, name, n, seed=seed) for seed in (1, 2)]
    outputs = [w.communicate(timeout=150) for w in workers]
    try:
        for w, (_, err) in zip(workers, outputs):
            assert w.returncode == 0, err[-3000:]
        found = states(postgres_url, name)
        assert found.count(TrialState.COMPLETE) == 2 * n and len(found) == 2 * n
        reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
        print(f"\nPostgreSQL: workers ran {[r['ran'] for r in reports]} trials; "
              f"study holds {found.count(TrialState.COMPLETE)} complete")
    finally:
        optuna.delete_study(study_name=name, storage=make_storage(postgres_url))
