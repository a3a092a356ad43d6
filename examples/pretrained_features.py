"""Pretrained musicnn embeddings with a linear classifier, beside MFCC statistics; then tags.

Run::

    python examples/pretrained_features.py [DATA_DIR] [--per-class N] [--model MSD_musicnn]

``DATA_DIR`` holds one sub-folder per class (default: the sampled
instruments of ``$SKLEARN_AUDIO_DATA/gm_instruments``). With a few dozen
clips per class, features learned by musicnn on 200,000 songs and a
``LogisticRegression`` on top are a strong, fast baseline: no network is
trained here, only the linear model.
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _data import data_folder
from sklearn_audio import MFCCTransformer
from sklearn_audio.datasets import load_audio_folder
from sklearn_audio.pretrained import MusicnnTransformer, format_tags, tag_files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=str(data_folder("gm_instruments")))
    parser.add_argument("--per-class", type=int, default=20, help="clips per class used")
    parser.add_argument("--model", default="MSD_musicnn")
    args = parser.parse_args()

    data = load_audio_folder(args.data_dir)
    paths, labels = np.asarray(data.filenames), np.asarray(data.target)
    classes = np.unique(labels)
    keep = np.concatenate([np.flatnonzero(labels == c)[: args.per_class] for c in classes])
    paths, labels = paths[keep], labels[keep]
    X_train, X_test, y_train, y_test = train_test_split(
        paths, labels, test_size=0.5, stratify=labels, random_state=0
    )
    print(f"{len(paths)} clips, {len(np.unique(labels))} classes; "
          f"{len(X_train)} training, {len(X_test)} test")  # fmt: skip

    # The pretrained route: mean-pooled musicnn features (the default layer).
    start = time.perf_counter()
    musicnn = make_pipeline(MusicnnTransformer(model=args.model), StandardScaler(),
                            LogisticRegression(max_iter=5000))  # fmt: skip
    musicnn.fit(X_train, y_train)
    accuracy = musicnn.score(X_test, y_test)
    print(f"musicnn ({args.model}) + LogisticRegression: accuracy {accuracy:.3f} "
          f"({time.perf_counter() - start:.1f} s)")  # fmt: skip

    # The hand-crafted route, same classifier: MFCC means and standard deviations.
    mfcc = make_pipeline(MFCCTransformer(sr=16000, n_mfcc=20, output="stats"), StandardScaler(),
                         LogisticRegression(max_iter=5000))  # fmt: skip
    mfcc.fit(X_train, y_train)
    print(f"MFCC statistics + LogisticRegression: accuracy {mfcc.score(X_test, y_test):.3f}")

    # What the network itself hears: its top tags (MagnaTagATune tags name instruments).
    print("top MagnaTagATune tags of three test clips:")
    for line in format_tags(tag_files(X_test[:3], model="MTT_musicnn", top_n=3)):
        print("  " + line)


if __name__ == "__main__":
    main()
