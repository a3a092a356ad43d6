"""AudioOptunaSearchCV and tune on fast scikit-learn estimators: API, results, errors, plots."""

import pickle
import time
import uuid

import numpy as np
import optuna
import pytest
from optuna.distributions import FloatDistribution
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_audio.metrics import SCORING
from sklearn_audio.tuning import AudioOptunaSearchCV, TuneResult, plot_tuning, tune

SPACE = {"clf__C": FloatDistribution(1e-3, 1e2, log=True)}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=90, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, np.array(["dog", "cat", "bird"])[y]


def pipe():
    return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))])


def search(**kw):
    kw = {"n_trials": 3, "cv": 3, "random_state": 0, **kw}
    return AudioOptunaSearchCV(pipe(), SPACE, **kw)


def test_params_untouched_clone_and_repr():
    s = search(storage="sqlite:///x.db", study_name="s")
    params = s.get_params(deep=False)
    assert params["param_distributions"] is SPACE
    assert params["scoring"] is None and params["refit"] == "f1_macro"
    assert clone(s).get_params(deep=False).keys() == params.keys()
    assert "AudioOptunaSearchCV" in repr(s)


def test_every_metric_recorded_on_every_trial(data):
    X, y = data
    s = search().fit(X, y)
    assert len(s.study_.trials) == 3
    for trial in s.study_.trials:
        for name in SCORING:
            assert len(trial.user_attrs[f"split_test_{name}"]) == 3
            assert trial.user_attrs[f"mean_test_{name}"] == pytest.approx(
                np.mean(trial.user_attrs[f"split_test_{name}"])
            )
        assert trial.value == trial.user_attrs["mean_test_f1_macro"]
    assert set(s.best_scores_) == set(SCORING)
    assert s.best_score_ == s.best_scores_["f1_macro"] == s.best_trial_.value
    assert s.best_trial_.value == max(t.value for t in s.study_.trials)
    assert set(s.best_params_) == {"clf__C"}
    assert s.best_estimator_.get_params()["clf__C"] == s.best_params_["clf__C"]
    assert s.n_splits_ == 3 and s.refit_time_ > 0
    assert list(s.classes_) == ["bird", "cat", "dog"]
    assert s.predict_proba(X[:4]).shape == (4, 3)
    assert s.predict(X[:4]).dtype.kind == "U"
    assert s.score(X, y) == pytest.approx(SCORING["f1_macro"](s.best_estimator_, X, y))


def test_cv_results_layout_matches_grid_search(data):
    X, y = data
    s = search(n_trials=4).fit(X, y)
    r = s.cv_results_
    assert len(r["params"]) == 4 and list(r["trial_number"]) == [0, 1, 2, 3]
    assert isinstance(r["param_clf__C"], np.ma.MaskedArray)
    for name in SCORING:
        assert {f"split{k}_test_{name}" for k in range(3)} <= r.keys()
        assert r[f"rank_test_{name}"].min() == 1
    assert s.best_index_ == int(np.argmax(r["mean_test_f1_macro"]))
    # The metrics package's sweep plot reads it as it reads GridSearchCV's.
    from sklearn_audio.metrics import ParameterSweepDisplay

    ParameterSweepDisplay.from_search(s, scoring="accuracy")


def test_random_state_reproduces_and_single_metric(data):
    X, y = data
    a = search(scoring="accuracy", refit=True).fit(X, y)
    b = search(scoring="accuracy", refit=True).fit(X, y)
    assert [t.params for t in a.study_.trials] == [t.params for t in b.study_.trials]
    assert set(a.best_scores_) == {"accuracy"}


def test_pickles_after_fit(data):
    X, y = data
    s = search().fit(X, y)
    again = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(again.predict(X), s.predict(X))
    assert len(again.study_.trials) == 3


def test_outer_cross_validate_gets_one_study_per_fold(tmp_path, data):
    """An outer CV clones the search into each fold: 3 folds, 3 studies of n_trials each."""
    X, y = data
    url = f"sqlite:///{tmp_path / 'nested.db'}"
    name = f"nested-{uuid.uuid4().hex[:8]}"
    outer = cross_validate(
        search(n_trials=2, storage=url, study_name=name),
        X,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="accuracy",
        return_estimator=True,
        error_score="raise",
    )
    names = sorted(optuna.get_all_study_names(url))
    assert names == [name, f"{name}-2", f"{name}-3"]
    for study_name in names:
        assert len(optuna.load_study(study_name=study_name, storage=url).trials) == 2
    assert sorted(e.study_.study_name for e in outer["estimator"]) == names
    # In memory, every fold's study is its own object too.
    outer = cross_validate(search(n_trials=2), X, y, cv=3, return_estimator=True)
    studies = [e.study_ for e in outer["estimator"]]
    assert len({id(s) for s in studies}) == 3 and all(len(s.trials) == 2 for s in studies)


def test_resuming_search_refuses_other_data_in_outer_cv(tmp_path, data):
    X, y = data
    url = f"sqlite:///{tmp_path / 'resume.db'}"
    with pytest.raises(ValueError, match="was run on other training data.*outer cross-validation"):
        cross_validate(
            search(n_trials=1, storage=url, study_name="shared", resume=True),
            X,
            y,
            cv=3,
            error_score="raise",
        )
    assert len(optuna.load_study(study_name="shared", storage=url).trials) == 1


def test_tune_resumes_study_and_returns_summary(tmp_path, data):
    X, y = data
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    first = tune(pipe(), X, y, param_distributions=SPACE, n_trials=2, cv=3, storage=url,
                 study_name="digits", random_state=0)
    assert isinstance(first, TuneResult)
    second = tune(pipe(), X, y, param_distributions=SPACE, n_trials=2, cv=3, storage=url,
                  study_name="digits", random_state=0)
    assert second.study.study_name == "digits" and second.n_trials["COMPLETE"] == 4
    # The resumed sampler is shifted: it does not replay the first run's samples.
    params = [t.params["clf__C"] for t in second.study.trials]
    assert len(set(params)) == 4
    assert second.best_score == max(t.value for t in second.study.trials)
    assert second.best_params == second.search.best_params_
    assert set(second.best_scores) == set(SCORING) and second.metric == "f1_macro"
    text = second.summary()
    assert "Study 'digits': 4 complete." in text and "clf__C" in text and "f1_macro" in text
    assert second.best_estimator.predict(X[:2]).shape == (2,)


def test_tuple_sizes_sampled_and_decoded(data):
    X, y = data
    est = Pipeline([("clf", MLPClassifier(max_iter=30, random_state=0))])
    with pytest.warns(Warning):  # MLP's convergence warning: 30 iterations only
        s = AudioOptunaSearchCV(
            est, {"clf__hidden_layer_sizes": [(4,), (8, 4)]}, n_trials=3, cv=2, random_state=0
        ).fit(X, y)
    assert {t.params["clf__hidden_layer_sizes"] for t in s.study_.trials} <= {"4", "8-4"}
    assert s.best_params_["clf__hidden_layer_sizes"] in [(4,), (8, 4)]
    assert s.best_estimator_.named_steps["clf"].hidden_layer_sizes in [(4,), (8, 4)]


class _CountingFit(LogisticRegression):
    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize(
    "kw, error, match",
    [
        ({"param_distributions": {"clf__learnin_rate": [0.1]}}, ValueError,
         r"Unknown parameter 'clf__learnin_rate'.*Valid names: \[.*'clf__C'"),
        ({"param_distributions": {}}, ValueError, "search space is empty"),
        ({"param_distributions": None}, ValueError, "No default search space for _CountingFit"),
        ({"n_trials": 0}, ValueError, "n_trials must be None or a positive integer"),
        ({"n_trials": None}, ValueError, "Give n_trials, timeout or both"),
        ({"refit": "f1"}, ValueError, r"refit must name the metric.*'f1_macro'"),
        ({"scoring": 3}, ValueError, "scoring must be"),
        ({"pruning": True}, ValueError, "cannot be pruned: its final step takes no Keras"),
        ({"pruning": "yes"}, ValueError, "pruning must be"),
        ({"storage": "tuning.db"}, ValueError, "storage must be None, an optuna storage or a"),
        ({"storage": "nosuchdb://x/y"}, ValueError, "Not a usable database URL: nosuchdb://x/y"),
    ],
)
def test_bad_input_fails_before_any_trial(data, kw, error, match):
    X, y = data
    _CountingFit.fits = 0
    est = Pipeline([("clf", _CountingFit())])
    kw = {"param_distributions": {"clf__C": [1.0]}, "n_trials": 2, "cv": 2, **kw}
    with pytest.raises(error, match=match):
        AudioOptunaSearchCV(est, **kw).fit(X, y)
    assert _CountingFit.fits == 0


def test_unreachable_storage_is_one_clear_error_without_password(data):
    X, y = data
    url = "postgresql://nobody:s3cret@127.0.0.1:1/x"
    start = time.perf_counter()
    with pytest.raises(ConnectionError) as info:
        tune(pipe(), X, y, param_distributions=SPACE, n_trials=1, storage=url)
    message = str(info.value)
    assert message.startswith(f"Cannot open the Optuna storage {url.replace('s3cret', '***')}:")
    assert "s3cret" not in message and "\n" not in message
    # No chained SQLAlchemy traceback is shown after the error.
    assert info.value.__suppress_context__ and info.value.__cause__ is None
    assert time.perf_counter() - start < 30
    with pytest.raises(ConnectionError, match=r"postgresql://nobody@127.0.0.1:1/x: "):
        tune(pipe(), X, y, param_distributions=SPACE, n_trials=1,
             storage="postgresql://nobody@127.0.0.1:1/x")
    with pytest.raises(ConnectionError, match="sqlite:////no/such/folder/x.db"):
        tune(pipe(), X, y, param_distributions=SPACE, n_trials=1,
             storage="sqlite:////no/such/folder/x.db")


def test_plot_tuning_writes_pngs(tmp_path, data):
    X, y = data
    result = tune(pipe(), X, y, param_distributions=SPACE, n_trials=3, cv=2, random_state=0)
    paths = plot_tuning(result, tmp_path / "plots")
    assert [p.name for p in paths] == ["optimization_history.png", "param_importances.png"]
    assert all(p.stat().st_size > 1000 and p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    # With a single trial, importances cannot be computed: a warning, not an error.
    one = tune(pipe(), X, y, param_distributions=SPACE, n_trials=1, cv=2)
    with pytest.warns(UserWarning, match="Parameter importances not drawn"):
        paths = plot_tuning(one.study, tmp_path / "one")
    assert [p.name for p in paths] == ["optimization_history.png"]
    with pytest.raises(ValueError, match="no complete trial"):
        plot_tuning(optuna.create_study(), tmp_path)
