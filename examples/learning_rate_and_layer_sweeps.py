"""Learning-rate and hidden-layer-size sweeps with GridSearchCV, plotted with their spread.

Run::

    python examples/learning_rate_and_layer_sweeps.py [--data-home FSDD_FOLDER] [--epochs N]

Feature extraction runs once per fold, not once per candidate: the pipeline
caches its fitted transformers with ``Pipeline(memory=...)``.
"""

import argparse
import tempfile
from pathlib import Path

from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from sklearn_audio import AudioLoader, DenseClassifier, MFCCTransformer
from sklearn_audio.datasets import load_fsdd
from sklearn_audio.metrics import SCORING, ParameterSweepDisplay, save_figure


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--per-class", type=int, default=15,
                        help="recordings per digit and speaker (50 = all)")
    parser.add_argument("--out-dir", default="sweep_output")
    args = parser.parse_args()

    data = load_fsdd(data_home=args.data_home)
    keep = data.index < args.per_class
    X, y = data.filenames[keep], data.target[keep]
    with tempfile.TemporaryDirectory() as cache:
        pipe = Pipeline(
            [
                ("load", AudioLoader(sr=8000)),
                ("mfcc", MFCCTransformer(sr=8000, n_fft=512, hop_length=128, output="stats")),
                ("clf", DenseClassifier(epochs=args.epochs, random_state=0)),
            ],
            memory=cache,
        )
        grid = {
            "clf__learning_rate": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
            "clf__hidden_layer_sizes": [(64,), (256,), (256, 128)],
        }
        search = GridSearchCV(pipe, grid, scoring=SCORING, refit="f1_macro",
                              cv=StratifiedKFold(3, shuffle=True, random_state=0))
        search.fit(X, y)
    print("best:", search.best_params_, f"f1_macro={search.best_score_:.3f}")

    out = Path(args.out_dir)
    for param in grid:
        display = ParameterSweepDisplay.from_search(search, param, scoring="f1_macro")
        save_figure(display, out / f"{param.split('__')[1]}.png")
    print(f"plots written to {out}/")


if __name__ == "__main__":
    main()
