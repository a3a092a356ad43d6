"""End to end on small real data: the default CNN must not silently collapse.

56 real clips of ``gm_instruments`` (8 sampled instruments, 5 training and 2
test clips each) through the README's pipeline with default parameters.
Before this round's changes the default CNN's early stopping judged a
validation split of 4 clips: with ``random_state=1`` it stopped at epoch 12,
kept a network answering one instrument for 14 of the 16 test clips, and
scored 1 in 16. Now the split is too small to stop on, so the fit trains its
full budget on every clip (and says so). That alone was not enough: batch
normalisation's moving statistics, at Keras's momentum of 0.99, were still
far from the training statistics after those 200 steps, and the network
classified its own training clips at 0.42 to 0.82 (one instrument for up to
13 of 16 test clips). At momentum 0.9 it fits them all.
"""

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from sklearn_audio import AudioLoader, CNNClassifier, MFCCTransformer, RawSegmenter


@pytest.fixture(scope="module")
def instruments(data_root):
    folder = data_root / "gm_instruments"
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    rng = np.random.default_rng(0)
    train, test, y_train, y_test = [], [], [], []
    for name in classes:
        files = rng.permutation(sorted(str(p) for p in (folder / name).glob("*.wav")))[:7]
        train += list(files[:5])
        test += list(files[5:])
        y_train += [name] * 5
        y_test += [name] * 2
    front_end = Pipeline([
        ("load", AudioLoader(sr=22050)),
        ("segment", RawSegmenter(segment_seconds=3.0)),
        ("mfcc", MFCCTransformer(n_mfcc=13)),
    ])  # fmt: skip
    X_train = front_end.fit_transform(np.array(train))
    X_test = front_end.transform(np.array(test))
    return X_train, np.array(y_train), X_test, np.array(y_test)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_cnn_on_56_instrument_clips_does_not_collapse(instruments, seed):
    X_train, y_train, X_test, y_test = instruments
    with pytest.warns(UserWarning, match="too few to stop on"):
        clf = CNNClassifier(random_state=seed).fit(X_train, y_train)
    # In inference mode the network classifies the clips it was trained on.
    assert np.mean(clf.predict(X_train) == y_train) >= 0.9
    predicted = clf.predict(X_test)
    top_share = np.unique(predicted, return_counts=True)[1].max() / len(predicted)
    assert top_share <= 0.4, f"one instrument for {top_share:.0%} of the test clips"
    # Chance is 1 in 8 (0.69 to 0.875 measured over seeds 0-4); the notebook of
    # the seed course scores about 0.9 with 32 training clips per instrument.
    assert np.mean(predicted == y_test) >= 0.5
    assert clf.n_epochs_ == clf.epochs and clf.best_epoch_ is None
