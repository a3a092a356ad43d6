"""AudioOptunaSearchCV and tune on fast scikit-learn estimators: API, results, errors, plots."""

import os
import pickle
import time
import uuid

import numpy as np
import optuna
import pytest
import sklearn
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning, UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GroupKFold, KFold, cross_validate
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
        ({"refit": False}, ValueError, "refit=False with 6 metrics leaves Optuna no metric"),
        ({"error_score": "ignore"}, ValueError, "error_score must be 'raise' or a number"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be None or a non-zero integer"),
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


# error_score: one failing candidate must not end the study.

BAD_C = {"clf__C": [-1.0, 1.0]}  # C=-1 fails LogisticRegression's parameter validation


def test_error_score_nan_records_failed_trials_and_the_study_goes_on(data):
    X, y = data
    with pytest.warns(FitFailedWarning, match=r"3 fits failed out of a total of 12") as record:
        s = AudioOptunaSearchCV(pipe(), BAD_C, n_trials=4, cv=3, random_state=0).fit(X, y)
    assert "'C' parameter of LogisticRegression must be" in str(record[0].message)
    trials = s.study_.trials
    assert len(trials) == 4  # the study was not aborted by the failing trial
    failed = [t for t in trials if t.params["clf__C"] == -1.0]
    assert failed and all(t.state == TrialState.FAIL for t in failed)
    for t in failed:
        assert np.isnan(t.user_attrs["split_test_f1_macro"]).all()
        assert len(t.user_attrs["fit_errors"]) == 3
    assert all(t.state == TrialState.COMPLETE for t in trials if t.params["clf__C"] == 1.0)
    # As in GridSearchCV: the failed candidate's row is NaN and ranked last.
    r = s.cv_results_
    nan_rows = np.isnan(r["mean_test_f1_macro"])
    assert [p["clf__C"] for p in np.array(r["params"])[nan_rows]] == [-1.0] * len(failed)
    assert (r["rank_test_f1_macro"][nan_rows] == len(trials)).all()
    assert s.best_params_ == {"clf__C": 1.0} and np.isfinite(s.best_score_)


def test_error_score_number_scores_the_failed_folds(data):
    X, y = data
    with pytest.warns(FitFailedWarning, match="error_score=0.0"):
        s = AudioOptunaSearchCV(
            pipe(), BAD_C, n_trials=4, cv=3, random_state=0, error_score=0.0
        ).fit(X, y)
    failed = [t for t in s.study_.trials if t.params["clf__C"] == -1.0]
    assert failed
    for t in failed:
        assert t.state == TrialState.COMPLETE and t.value == 0.0
        assert t.user_attrs["split_test_accuracy"] == [0.0, 0.0, 0.0]
    assert s.best_params_ == {"clf__C": 1.0}


def test_error_score_raise_reraises_the_fit_error(data):
    X, y = data
    search = AudioOptunaSearchCV(
        pipe(), {"clf__C": [-1.0]}, n_trials=3, cv=3, error_score="raise"
    )
    with pytest.raises(ValueError, match="'C' parameter of LogisticRegression"):
        search.fit(X, y)
    assert [t.state for t in search.study_.trials] == [TrialState.FAIL]


def test_every_fit_failing_is_an_error_listing_the_failures(data):
    X, y = data
    with pytest.raises(RuntimeError, match=r"All the 6 fits of this search failed.*\n  6 fits "
                                           r"\(trial 0 fold 0, .*\): fit failed: Invalid"):
        AudioOptunaSearchCV(pipe(), {"clf__C": [-1.0]}, n_trials=2, cv=3).fit(X, y)


# Fit parameters and metadata routing.


class _WeightSpy(LogisticRegression):
    """Records the sample weights each fit receives."""

    seen = []

    def fit(self, X, y, sample_weight=None):
        type(self).seen.append(None if sample_weight is None else np.asarray(sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


def _weighted_accuracy_spy(seen):
    def metric(y_true, y_pred, sample_weight=None):
        seen.append(None if sample_weight is None else np.asarray(sample_weight))
        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)

    return metric


def _group_splits(X, y, groups):
    return list(GroupKFold(3).split(X, y, groups))


def test_groups_and_fit_params_without_metadata_routing(data):
    """groups reach the splitter; sample_weight each fold's fit, then the refit's."""
    X, y = data
    groups = np.arange(len(y)) % 6
    weights = np.arange(len(y), dtype=float)  # a weight names its row
    _WeightSpy.seen = []
    s = AudioOptunaSearchCV(
        _WeightSpy(max_iter=300), {"C": [1.0]}, n_trials=1, cv=GroupKFold(3), refit="accuracy"
    ).fit(X, y, groups=groups, sample_weight=weights)
    splits = _group_splits(X, y, groups)
    assert len(_WeightSpy.seen) == 3 + 1
    for (train, _), seen in zip(splits, _WeightSpy.seen):
        np.testing.assert_array_equal(seen, weights[train])
    np.testing.assert_array_equal(_WeightSpy.seen[-1], weights)  # the refit: all rows
    # Each fold is scored on a group-wise test fold.
    expected = cross_validate(
        _WeightSpy(max_iter=300), X, y, groups=groups, cv=GroupKFold(3), scoring="accuracy",
        params={"sample_weight": weights},
    )["test_score"]
    np.testing.assert_allclose(s.study_.trials[0].user_attrs["split_test_accuracy"], expected)


def test_metadata_routing_reaches_splitter_estimator_and_scorer(data):
    X, y = data
    groups = np.arange(len(y)) % 6
    weights = np.arange(len(y), dtype=float)
    scored = []
    _WeightSpy.seen = []
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_scorer(_weighted_accuracy_spy(scored)).set_score_request(sample_weight=True)
        est = _WeightSpy(max_iter=300).set_fit_request(sample_weight=True)
        s = AudioOptunaSearchCV(
            est, {"C": [1.0]}, n_trials=1, cv=GroupKFold(3), scoring={"acc": scorer},
            refit="acc",
        ).fit(X, y, groups=groups, sample_weight=weights)
        assert s.score(X, y, sample_weight=weights) == pytest.approx(
            accuracy_score(y, s.predict(X), sample_weight=weights)
        )
        for (train, test), fitted, score_weights in zip(
            _group_splits(X, y, groups), _WeightSpy.seen, scored
        ):
            np.testing.assert_array_equal(fitted, weights[train])
            np.testing.assert_array_equal(score_weights, weights[test])
        np.testing.assert_array_equal(_WeightSpy.seen[3], weights)  # the refit
        np.testing.assert_array_equal(scored[-1], weights)  # score()
        # Metadata passed but not requested is refused before any trial, as scikit-learn does.
        unrequested = AudioOptunaSearchCV(_WeightSpy(), {"C": [1.0]}, n_trials=1, cv=3,
                                          scoring="accuracy", refit=True)
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            unrequested.fit(X, y, sample_weight=weights)
        assert not hasattr(unrequested, "study_")
    # Without routing, the scorer never sees metadata passed to score().
    with pytest.raises(ValueError, match="only with sklearn.set_config"):
        s.score(X, y, sample_weight=weights)


# refit=False and n_jobs.


def test_refit_false_sets_best_params_but_no_estimator(data):
    X, y = data
    s = search(scoring="accuracy", refit=False).fit(X, y)
    assert set(s.best_params_) == {"clf__C"} and s.best_score_ == s.best_trial_.value
    assert not hasattr(s, "best_estimator_") and not hasattr(s, "refit_time_")
    for method in ("predict", "predict_proba", "decision_function", "classes_"):
        assert not hasattr(s, method)
    # As in scikit-learn, available_if says "no attribute" and chains the reason.
    with pytest.raises(AttributeError) as info:
        s.predict(X)
    assert "refit=False: predict is available only after" in str(info.value.__cause__)
    with pytest.raises(AttributeError, match="refit=False: score is"):
        s.score(X, y)
    result = tune(pipe(), X, y, param_distributions=SPACE, n_trials=2, cv=3,
                  scoring="accuracy", refit=False)
    assert result.best_estimator is None and set(result.best_params) == {"clf__C"}


def _pid(estimator, X, y):
    return os.getpid()


def test_n_jobs_fits_the_folds_in_workers_with_the_same_results(data):
    X, y = data
    scoring = {"accuracy": "accuracy", "pid": _pid}
    one = search(scoring=scoring, refit="accuracy").fit(X, y)
    two = search(scoring=scoring, refit="accuracy", n_jobs=2).fit(X, y)
    assert set(one.cv_results_["split0_test_pid"]) == {os.getpid()}
    worker_pids = {p for k in range(3) for p in two.cv_results_[f"split{k}_test_pid"]}
    assert os.getpid() not in worker_pids
    for key in ("mean_test_accuracy", "split0_test_accuracy", "split2_test_accuracy"):
        np.testing.assert_array_equal(one.cv_results_[key], two.cv_results_[key])
    assert one.best_params_ == two.best_params_
