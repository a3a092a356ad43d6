"""The safe model format: exact round trips, refusals, and loading that never runs code."""

import importlib
import json
import os
import pickle
import pkgutil
import subprocess
import sys
import warnings
import zipfile

import joblib
import numpy as np
import pytest
import skops.io
import soundfile
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import sklearn_audio
from sklearn_audio import persistence
from sklearn_audio.features import MFCCTransformer
from sklearn_audio.io import AudioLoader
from sklearn_audio.persistence import (
    ModelFileError,
    UntrustedTypesError,
    load_model,
    read_metadata,
    save_model,
)
from sklearn_audio.segment import RawSegmenter

SR = 8000


def _waves(n_per_class=6, seconds=0.25, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    X, y = [], []
    for label, freq in (("low", 300.0), ("high", 1800.0)):
        for k in range(n_per_class):
            wave = 0.4 * np.sin(2 * np.pi * freq * (1 + 0.02 * k) * t)
            X.append((wave + 0.05 * rng.normal(size=t.size)).astype(np.float32))
            y.append(label)
    return np.stack(X), np.array(y)


@pytest.fixture(scope="module")
def wav_files(tmp_path_factory):
    """Tone files of two classes, with their labels."""
    folder = tmp_path_factory.mktemp("wavs")
    X, y = _waves()
    paths = []
    for k, (wave, label) in enumerate(zip(X, y)):
        path = folder / label / f"{label}{k}.wav"
        path.parent.mkdir(exist_ok=True)
        soundfile.write(path, wave, SR)
        paths.append(str(path))
    return folder, np.array(paths), y


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny data: convergence warnings are expected
        return model.fit(X, y)


@pytest.fixture(scope="module")
def keras_pipelines(wav_files):
    """Fitted tiny pipelines of the three families, with their input."""
    from sklearn_audio.models import CNNClassifier, DenseClassifier, LSTMClassifier

    _, paths, y = wav_files
    X, _ = _waves()
    mfcc = dict(sr=SR, n_mfcc=8, n_fft=256, hop_length=128)
    small = dict(epochs=2, batch_size=4, random_state=0)
    cnn = Pipeline([
        ("load", AudioLoader(sr=SR)),
        ("seg", RawSegmenter(segment_seconds=0.125, sr=SR)),
        ("mfcc", MFCCTransformer(**mfcc)),
        # SpecAugment: a custom layer, which safe mode must load by its registered name.
        ("clf", CNNClassifier(filters=(4,), dense_units=8, time_masks=1, freq_masks=1,
                              **small)),
    ])  # fmt: skip
    dense = make_pipeline(MFCCTransformer(output="stats", **mfcc),
                          DenseClassifier(hidden_layer_sizes=(8,), **small))  # fmt: skip
    lstm = make_pipeline(MFCCTransformer(**mfcc),
                         LSTMClassifier(units=4, dense_units=None, **small))  # fmt: skip
    return {
        "cnn": (_fit_quietly(cnn, paths, y), paths, y),
        "dense": (_fit_quietly(dense, X, y), X, y),
        "lstm": (_fit_quietly(lstm, X, y), X, y),
    }


# -- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["cnn", "dense", "lstm"])
def test_keras_pipeline_round_trip_is_exact(keras_pipelines, family, tmp_path):
    pipe, X, y = keras_pipelines[family]
    path = save_model(pipe, tmp_path / "model.skaudio", metadata={"family": family})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_model(path)
    # Keras warns when it cannot restore the optimizer's variables.
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert_array_equal(loaded.classes_, pipe.classes_)
    clf, original = loaded[-1], pipe[-1]
    assert clf.model_ is not original.model_
    assert clf.history_ == original.history_
    assert clf.get_params() == original.get_params()
    assert int(clf.model_.optimizer.iterations.numpy()) == int(
        original.model_.optimizer.iterations.numpy()
    )
    manifest = read_metadata(path)
    assert manifest["metadata"] == {"family": family}
    assert manifest["networks"] == [
        {"member": "networks/0.keras", "owner": f"{type(original).__module__}."
         f"{type(original).__name__}"}
    ]  # fmt: skip
    assert manifest["versions"]["keras"] is not None
    if family == "cnn":
        assert clf.model_.get_layer("spec_augment").__class__.__name__ == "SpecAugment"
    # The skops part holds no Keras object: the network is its own member.
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
        assert names == ["estimator.skops", "manifest.json", "networks/0.keras"]
        types = skops.io.get_untrusted_types(data=archive.read("estimator.skops"))
    assert types and all(t.startswith("sklearn_audio.") for t in types)


def test_loaded_keras_pipeline_can_be_cloned_and_refitted(keras_pipelines, tmp_path):
    pipe, X, y = keras_pipelines["dense"]
    loaded = load_model(save_model(pipe, tmp_path / "m.skaudio"))
    assert not hasattr(clone(loaded)[-1], "model_")
    _fit_quietly(loaded, X, y)
    assert loaded.predict_proba(X).shape == (len(X), 2)


def test_shared_network_is_stored_once(keras_pipelines, tmp_path):
    # One fitted classifier in two places (a pipeline and a dict of models) keeps
    # one network, still shared after loading.
    pipe, X, _ = keras_pipelines["dense"]
    both = {"pipeline": pipe, "clf": pipe[-1]}
    loaded = load_model(save_model(both, tmp_path / "both.skaudio"))
    assert len(read_metadata(tmp_path / "both.skaudio")["networks"]) == 1
    assert loaded["clf"] is loaded["pipeline"][-1]
    assert_array_equal(loaded["pipeline"].predict_proba(X), pipe.predict_proba(X))


def test_cached_transformer_pipeline_round_trip(wav_files, tmp_path):
    from sklearn_audio.models import DenseClassifier
    from sklearn_audio.tuning import CachedTransformer

    _, paths, y = wav_files
    features = Pipeline([
        ("load", AudioLoader(sr=SR)),
        ("mfcc", MFCCTransformer(sr=SR, n_mfcc=8, n_fft=256, hop_length=128, output="stats")),
    ])  # fmt: skip
    pipe = make_pipeline(
        CachedTransformer(features, memory=str(tmp_path / "cache")),
        DenseClassifier(hidden_layer_sizes=(4,), epochs=2, batch_size=4, random_state=0),
    )
    _fit_quietly(pipe, paths, y)
    loaded = load_model(save_model(pipe, tmp_path / "cached.skaudio"))
    assert_array_equal(loaded.predict_proba(paths), pipe.predict_proba(paths))


def test_sklearn_pipeline_round_trip_without_keras(tmp_path):
    X, y = _waves()
    X = X[:, :64]
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    path = save_model(pipe, tmp_path / "sk.skaudio")
    loaded = load_model(path)
    assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert clone(loaded).get_params()["logisticregression__C"] == 1.0
    manifest = read_metadata(path)
    assert manifest["networks"] == [] and manifest["versions"]["keras"] is None
    assert manifest["format"] == "sklearn-audio model" and manifest["format_version"] == 1


def test_sklearn_pipeline_saves_and_loads_without_importing_tensorflow(tmp_path):
    code = (
        "import sys; from sklearn.preprocessing import StandardScaler;"
        "from sklearn_audio.persistence import save_model, load_model;"
        f"p = save_model(StandardScaler().fit([[0.0], [1.0]]), {str(tmp_path / 's.skaudio')!r});"
        "load_model(p); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_metadata_is_json(tmp_path):
    path = save_model(StandardScaler(), tmp_path / "m.skaudio",
                      metadata={"acc": np.float32(0.5), "n": np.int64(3), "shape": (2, 3),
                                "classes": np.array(["a", "b"])})  # fmt: skip
    assert read_metadata(path)["metadata"] == {
        "acc": 0.5, "n": 3, "shape": [2, 3], "classes": ["a", "b"]
    }


def test_bad_metadata_fails_before_writing(tmp_path):
    path = tmp_path / "m.skaudio"
    save_model(StandardScaler(), path, metadata={"run": 1})
    with pytest.raises(TypeError, match="JSON values.*object"):
        save_model(LogisticRegression(), path, metadata={"bad": object()})
    # The earlier file is untouched, and no temporary file is left.
    assert read_metadata(path)["metadata"] == {"run": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.skaudio"]


def test_metadata_too_large_to_load_is_refused_when_saving(tmp_path):
    path = tmp_path / "m.skaudio"
    save_model(StandardScaler(), path, metadata={"run": 1})
    files = [{"file": f"data/class/clip{k:06d}.wav", "true": "a", "predicted": "b"}
             for k in range(30_000)]
    with pytest.raises(ValueError, match="metadata too large"):
        save_model(StandardScaler(), path, metadata={"test_files": files})
    assert read_metadata(path)["metadata"] == {"run": 1}
    # Just under the limit still loads.
    save_model(StandardScaler(), path, metadata={"test_files": files[:8_000]})
    assert len(read_metadata(path)["metadata"]["test_files"]) == 8_000


def test_skops_part_alone_does_not_pass_for_a_fitted_classifier(keras_pipelines, tmp_path):
    pipe, _, _ = keras_pipelines["dense"]
    path = save_model(pipe, tmp_path / "m.skaudio")
    with zipfile.ZipFile(path) as archive:
        data = archive.read("estimator.skops")
    with pytest.raises(ValueError, match="load the whole file with sklearn_audio.load_model"):
        skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))


def test_pickle_is_unchanged_by_the_persistence_hooks(keras_pipelines):
    pipe, X, _ = keras_pipelines["lstm"]
    restored = pickle.loads(pickle.dumps(pipe))
    assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))


# -- trusted types ----------------------------------------------------------------------
class LocalScaler(TransformerMixin, BaseEstimator):
    """A transformer defined here: not a trusted type."""

    def fit(self, X, y=None):
        self.scale_ = 2.0
        return self

    def transform(self, X):
        return np.asarray(X) * self.scale_


def test_keras_network_outside_our_classifiers_is_refused_at_saving(tmp_path):
    import keras

    holder = LocalScaler()
    inputs = keras.Input((3,))
    holder.network_ = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(TypeError, match="LocalScaler cannot be saved in the safe format"):
        save_model(holder, tmp_path / "m.skaudio")
    assert list(tmp_path.iterdir()) == []


def test_untrusted_type_is_refused_and_listed(tmp_path):
    path = save_model(make_pipeline(LocalScaler(), StandardScaler()).fit([[1.0], [2.0]]),
                      tmp_path / "local.skaudio")  # fmt: skip
    name = f"{__name__}.LocalScaler"
    with pytest.raises(UntrustedTypesError, match=name) as info:
        load_model(path)
    assert info.value.types == [name]
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)
    # Trusted by name or as the class, it loads.
    assert_array_equal(load_model(path, trusted=[name]).transform([[3.0]]),
                       load_model(path, trusted=[LocalScaler]).transform([[3.0]]))  # fmt: skip


def test_os_system_is_refused(tmp_path):
    path = save_model(FunctionTransformer(os.system), tmp_path / "system.skaudio")
    with pytest.raises(UntrustedTypesError) as info:
        load_model(path)
    assert [t.rsplit(".", 1)[-1] for t in info.value.types] == ["system"]
    assert "system" in str(info.value)


def _sklearn_audio_estimator_types():
    found = set()
    for module_info in pkgutil.walk_packages(sklearn_audio.__path__, "sklearn_audio."):
        if module_info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(module_info.name)
        except ImportError:  # an optional dependency (optuna, onnx...) missing
            continue
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, BaseEstimator)
                    and value.__module__ == module.__name__
                    and not value.__name__.startswith("_")):  # fmt: skip
                found.add(f"{value.__module__}.{value.__name__}")
    return found


def test_every_sklearn_audio_estimator_is_trusted():
    found = _sklearn_audio_estimator_types()
    assert "sklearn_audio.models.cnn.CNNClassifier" in found
    # The classifiers' base is never instantiated itself.
    missing = sorted(found - set(persistence.TRUSTED_TYPES)
                     - {"sklearn_audio.models._base.KerasAudioClassifier"})  # fmt: skip
    assert not missing, f"add to persistence.TRUSTED_TYPES: {missing}"
    # skops names a type as we do: by its defining module.
    from sklearn_audio.models import CNNClassifier

    dumped = skops.io.dumps(CNNClassifier())
    assert skops.io.get_untrusted_types(data=dumped) == ["sklearn_audio.models.cnn.CNNClassifier"]


# -- refusals ---------------------------------------------------------------------------
class WritesMarker:
    """Unpickling this creates the file named in ``path``: proof that code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _rewrite(path, members):
    """Replace members of the archive at ``path``: bytes, or a dict written as JSON."""
    with zipfile.ZipFile(path) as archive:
        content = {name: archive.read(name) for name in archive.namelist()}
    for name, value in members.items():
        content[name] = json.dumps(value).encode() if isinstance(value, dict) else value
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in content.items():
            archive.writestr(name, value)
    return path


def test_pickle_payload_in_the_archive_is_never_run(tmp_path):
    marker = tmp_path / "marker"
    payload = pickle.dumps(WritesMarker(marker))
    path = save_model(StandardScaler(), tmp_path / "m.skaudio")
    _rewrite(path, {"estimator.skops": payload})
    with pytest.raises(ModelFileError, match="damaged"):
        load_model(path)
    assert not marker.exists()
    # The payload does run when unpickled: the check above can fail.
    pickle.loads(payload).close()
    assert marker.exists()


def test_pickle_payload_as_a_network_is_never_run(keras_pipelines, tmp_path):
    marker = tmp_path / "marker"
    pipe, _, _ = keras_pipelines["dense"]
    path = save_model(pipe, tmp_path / "m.skaudio")
    _rewrite(path, {"networks/0.keras": pickle.dumps(WritesMarker(marker))})
    with pytest.raises(ModelFileError, match="networks/0.keras"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("compress", [0, 3])
def test_joblib_file_is_refused_without_running_it(tmp_path, compress):
    marker = tmp_path / "marker"
    path = tmp_path / "model.joblib"
    joblib.dump({"pipeline": WritesMarker(marker)}, path, compress=compress)
    with pytest.raises(ModelFileError, match="pickle or joblib file.*never loads"):
        load_model(path)
    assert not marker.exists()


def test_lambda_layer_is_refused_in_safe_mode(keras_pipelines, tmp_path):
    import keras

    pipe, _, _ = keras_pipelines["dense"]
    path = save_model(pipe, tmp_path / "m.skaudio")
    inputs = keras.Input((3,))
    unsafe = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    unsafe.save(tmp_path / "unsafe.keras")
    _rewrite(path, {"networks/0.keras": (tmp_path / "unsafe.keras").read_bytes()})
    with pytest.raises(ModelFileError, match="safe mode"):
        load_model(path)


def test_newer_format_version_is_refused(tmp_path):
    path = save_model(StandardScaler(), tmp_path / "m.skaudio")
    manifest = read_metadata(path)
    _rewrite(path, {"manifest.json": {**manifest, "format_version": 2}})
    with pytest.raises(ModelFileError, match="newer sklearn-audio") as info:
        read_metadata(path)
    assert str(path) in str(info.value)
    with pytest.raises(ModelFileError, match="format version 2"):
        load_model(path)


@pytest.mark.parametrize("content", ["other zip", "other manifest", "bad manifest", "text",
                                     "empty"])  # fmt: skip
def test_file_that_is_not_ours_is_refused(tmp_path, content):
    path = tmp_path / "model.skaudio"
    if content == "text":
        path.write_text("hello")
    elif content == "empty":
        path.write_bytes(b"")
    else:
        member = {"other zip": ("data.txt", b"hi"),
                  "other manifest": ("manifest.json", b'{"format": "other"}'),
                  "bad manifest": ("manifest.json", b"\xff not json")}[content]  # fmt: skip
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(*member)
    with pytest.raises(ModelFileError, match="not a sklearn-audio model file") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_truncated_file_is_refused(keras_pipelines, tmp_path):
    pipe, _, _ = keras_pipelines["dense"]
    path = save_model(pipe, tmp_path / "m.skaudio")
    data = path.read_bytes()
    for size in (len(data) // 2, len(data) - 10, 30):
        path.write_bytes(data[:size])
        with pytest.raises(ModelFileError, match="truncated or damaged") as info:
            load_model(path)
        assert str(path) in str(info.value)


def test_network_missing_from_manifest_is_refused(keras_pipelines, tmp_path):
    pipe, _, _ = keras_pipelines["dense"]
    path = save_model(pipe, tmp_path / "m.skaudio")
    _rewrite(path, {"manifest.json": {**read_metadata(path), "networks": []}})
    with pytest.raises(ModelFileError, match="refers to a network 'networks/0.keras'"):
        load_model(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="model file not found"):
        load_model(tmp_path / "none.skaudio")
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(tmp_path)


# -- the command line -------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_pipeline(wav_files):
    from sklearn_audio.cli._pipelines import build_pipeline

    _, paths, y = wav_files
    pipe = build_pipeline("dense", sr=SR, epochs=1, batch_size=4)
    return _fit_quietly(pipe, paths, y)


def _run(capsys, *argv):
    from sklearn_audio.cli import main

    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _one_line_error(status, err, *fragments):
    assert status == 1 and "Traceback" not in err
    last = err.rstrip().splitlines()[-1]
    assert last.startswith("sklearn-audio: error: ")
    for fragment in fragments:
        assert fragment in last, last


def _old_bundle(pipeline, metadata=None):
    """The older joblib format, as ``train`` wrote it before the safe format."""
    return {"format": "sklearn-audio model", "format_version": 1,
            "sklearn_audio_version": "0.1.0.dev0", "created": "2026-01-01T00:00:00+00:00",
            "pipeline": pipeline, "metadata": metadata or {}}  # fmt: skip


def test_cli_model_file_is_the_safe_format(cli_pipeline, wav_files, tmp_path, capsys):
    from sklearn_audio.cli._model_file import load_model as cli_load, save_model as cli_save

    folder, paths, _ = wav_files
    model = tmp_path / "m.joblib"  # the suffix does not choose the format
    cli_save(model, cli_pipeline, model="dense", classes=["high", "low"], accuracy=np.float64(1))
    assert zipfile.is_zipfile(model)
    assert read_metadata(model)["metadata"]["accuracy"] == 1.0
    pipeline, metadata = cli_load(model)
    assert metadata == {"model": "dense", "classes": ["high", "low"], "accuracy": 1.0}
    assert_array_equal(pipeline.predict_proba(paths), cli_pipeline.predict_proba(paths))
    status, out, _ = _run(capsys, "predict", str(model), str(folder), "--json")
    assert status == 0 and len(json.loads(out)) == len(paths)
    status, out, _ = _run(capsys, "evaluate", str(model), str(folder))
    assert status == 0 and "accuracy" in out.lower()


def test_cli_refuses_old_pickle_without_trust(cli_pipeline, wav_files, tmp_path, capsys):
    folder, paths, _ = wav_files
    model = tmp_path / "old.skaudio"  # content decides, not suffix
    joblib.dump(_old_bundle(cli_pipeline, {"model": "dense"}), model)
    for command in ("predict", "evaluate"):
        status, _, err = _run(capsys, command, str(model), str(folder))
        _one_line_error(status, err, str(model), "pickle-based", "can run any code",
                        "--trust", "sklearn-audio train")  # fmt: skip
    status, out, _ = _run(capsys, "predict", str(model), str(folder), "--json", "--trust")
    assert status == 0 and len(json.loads(out)) == len(paths)

    from sklearn_audio.cli._model_file import load_model as cli_load

    pipeline, metadata = cli_load(model, trust=True)
    assert metadata == {"model": "dense"}
    assert_array_equal(pipeline.predict_proba(paths), cli_pipeline.predict_proba(paths))


def test_cli_never_runs_an_untrusted_joblib_file(wav_files, tmp_path, capsys):
    # Issue 12's scenario: a joblib file whose object creates a file when unpickled.
    folder, _, _ = wav_files
    marker = tmp_path / "marker"
    model = tmp_path / "model.joblib"
    joblib.dump(_old_bundle(WritesMarker(marker)), model)
    for command in ("predict", "evaluate"):
        status, _, err = _run(capsys, command, str(model), str(folder))
        _one_line_error(status, err, "pickle-based", "--trust")
        assert not marker.exists()
    # Trusted, the file is unpickled and its code runs: the check above can fail.
    from sklearn_audio.cli._model_file import load_model as cli_load

    cli_load(model, trust=True)[0].close()
    assert marker.exists()


def test_cli_trust_keeps_the_old_checks(tmp_path, capsys):
    from sklearn_audio.cli._errors import UserError
    from sklearn_audio.cli._model_file import load_model as cli_load

    other = tmp_path / "other.joblib"
    joblib.dump({"weights": np.zeros(3)}, other)
    with pytest.raises(UserError, match="not a sklearn-audio model file"):
        cli_load(other)
    with pytest.raises(UserError, match=r"not a sklearn-audio model file \(written by another"):
        cli_load(other, trust=True)
    newer = tmp_path / "newer.joblib"
    joblib.dump({**_old_bundle(None), "format_version": 2, "sklearn_audio_version": "9.0"},
                newer)  # fmt: skip
    with pytest.raises(UserError, match=r"newer sklearn-audio \(9.0\)"):
        cli_load(newer, trust=True)
    text = tmp_path / "text.joblib"
    text.write_text("hello")
    with pytest.raises(UserError, match=r"not a sklearn-audio model file \(not a zip"):
        cli_load(text)
    with pytest.raises(UserError, match=r"could not read it"):
        cli_load(text, trust=True)


def test_cli_errors_of_the_safe_format(wav_files, tmp_path, capsys):
    from sklearn_audio.cli._errors import UserError
    from sklearn_audio.cli._model_file import load_model as cli_load

    folder, _, _ = wav_files
    newer = save_model(StandardScaler(), tmp_path / "newer.skaudio")
    _rewrite(newer, {"manifest.json": {**read_metadata(newer), "format_version": 2}})
    status, _, err = _run(capsys, "predict", str(newer), str(folder))
    _one_line_error(status, err, str(newer), "newer sklearn-audio")

    local = save_model(LocalScaler(), tmp_path / "local.skaudio")
    with pytest.raises(UserError, match=f"{__name__}.LocalScaler"):
        cli_load(local)
    # --trust trusts the file: its types too.
    assert isinstance(cli_load(local, trust=True)[0], LocalScaler)

    truncated = tmp_path / "cut.skaudio"
    truncated.write_bytes(newer.read_bytes()[:40])
    status, _, err = _run(capsys, "evaluate", str(truncated), str(folder))
    _one_line_error(status, err, str(truncated), "truncated or damaged")
