"""Search spaces: defaults per classifier, tuple encoding, and name validation."""

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_audio.tuning import check_search_space, search_space
from sklearn_audio.tuning._spaces import decode_params, encode_choice


@pytest.mark.parametrize(
    "kind, sizes",
    [("cnn", "clf__filters"), ("lstm", "clf__units"), ("dense", "clf__hidden_layer_sizes")],
)
def test_default_spaces_cover_learning_rate_sizes_dropout_batch(kind, sizes):
    space = search_space(kind)
    lr = space["clf__learning_rate"]
    assert isinstance(lr, FloatDistribution) and lr.log and lr.low < 1e-3 < lr.high
    assert isinstance(space["clf__dropout"], FloatDistribution)
    assert isinstance(space["clf__batch_size"], CategoricalDistribution)
    # Layer sizes travel as strings: Optuna storages accept no tuples.
    assert all(isinstance(c, str) for c in space[sizes].choices)
    assert search_space(kind.upper()) == space
    assert search_space(kind, prefix="model__").keys() == {
        name.replace("clf__", "model__") for name in space
    }


def test_unknown_classifier_name_and_estimator_without_defaults():
    with pytest.raises(ValueError, match=r"Unknown classifier 'rnn'.*\['cnn', 'dense', 'lstm'\]"):
        search_space("rnn")
    with pytest.raises(ValueError, match="No default search space for LogisticRegression"):
        search_space(Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]))


def test_tuple_choices_round_trip():
    assert encode_choice((64, 32)) == "64-32"
    assert encode_choice((128,)) == "128"
    assert encode_choice(3) == 3 and encode_choice("relu") == "relu" and encode_choice(None) is None
    with pytest.raises(ValueError, match="cannot be stored by Optuna"):
        encode_choice(("a", "b"))
    with pytest.raises(ValueError, match="cannot be stored by Optuna"):
        encode_choice(())
    pipe = Pipeline([("clf", MLPClassifier())])
    space = check_search_space(pipe, {"clf__hidden_layer_sizes": [(64,), (64, 32)]})
    assert space["clf__hidden_layer_sizes"].choices == ("64", "64-32")
    decoded = decode_params(pipe, {"clf__hidden_layer_sizes": "64-32", "clf__activation": "relu"})
    assert decoded == {"clf__hidden_layer_sizes": (64, 32), "clf__activation": "relu"}


def test_unknown_name_lists_valid_names_and_close_match():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", MLPClassifier())])
    with pytest.raises(ValueError) as info:
        check_search_space(pipe, {"clf__learnin_rate_init": [1e-3], "clf__alpha": [1e-4]})
    message = str(info.value)
    assert "Unknown parameter 'clf__learnin_rate_init'" in message
    assert "did you mean 'clf__learning_rate_init'?" in message
    assert "Valid names:" in message and "'scale__with_mean'" in message
    assert "clf__alpha'" not in message.split("Valid names")[0]


def test_empty_and_malformed_spaces():
    with pytest.raises(ValueError, match="search space is empty"):
        check_search_space(LogisticRegression(), {})
    with pytest.raises(TypeError, match="must be a dict"):
        check_search_space(LogisticRegression(), [("C", [1.0])])
    with pytest.raises(ValueError, match="'C' must be an optuna distribution or a non-empty list"):
        check_search_space(LogisticRegression(), {"C": []})
    with pytest.raises(ValueError, match="'C' must be an optuna distribution"):
        check_search_space(LogisticRegression(), {"C": 1.0})


def test_routed_optimizer_arguments_are_rejected_naming_the_key():
    """Our classifiers take no ``optimizer__*``: such a key fails before the study, clearly."""
    models = pytest.importorskip("sklearn_audio.models")
    pipe = Pipeline([("clf", models.DenseClassifier())])
    with pytest.raises(ValueError) as info:
        check_search_space(pipe, {"clf__optimizer__momentum": [0.0, 0.9]})
    message = str(info.value)
    assert message.startswith("Unknown parameter 'clf__optimizer__momentum'")
    assert "did you mean 'clf__optimizer'?" in message
    assert "'clf__learning_rate'" in message.split("Valid names:")[1]
    # Nor is scikeras's routing syntax accepted on a plain scikeras model: only get_params.
    scikeras = pytest.importorskip("scikeras.wrappers")
    with pytest.raises(ValueError, match="Unknown parameter 'clf__optimizer__momentum'"):
        check_search_space(
            Pipeline([("clf", scikeras.KerasClassifier(model=None, optimizer="sgd"))]),
            {"clf__optimizer__momentum": [0.0, 0.9]},
        )


@pytest.mark.parametrize("kind", ["cnn", "lstm", "dense"])
def test_default_spaces_name_real_parameters_of_our_classifiers(kind):
    models = pytest.importorskip("sklearn_audio.models")
    clf = {
        "cnn": models.CNNClassifier,
        "lstm": models.LSTMClassifier,
        "dense": models.DenseClassifier,
    }[kind]()
    pipe = Pipeline([("scale", StandardScaler()), ("net", clf)])
    # A classifier gives unprefixed names, a pipeline its final step's name.
    assert search_space(clf) == search_space(kind, prefix="")
    assert search_space(pipe) == search_space(kind, prefix="net__")
    check_search_space(pipe, search_space(pipe))
    nested = Pipeline([("features", StandardScaler()), ("model", pipe)])
    assert set(search_space(nested)) == {f"model__net__{n}" for n in search_space(clf)}
    sizes = next(n for n, d in search_space(clf).items() if isinstance(getattr(clf, n), tuple))
    encoded = search_space(clf)[sizes].choices[-1]
    assert isinstance(decode_params(clf, {sizes: encoded})[sizes], tuple)
