"""Any folder-per-class data set (instruments, speech vs music, ...): train, report, plot.

Run::

    python examples/folder_per_class.py DATA_DIR [--model cnn|lstm|dense] [--sr SR] [--epochs N]

``DATA_DIR`` holds one sub-folder per class. Without it, the tiny
music / speech / silence set in ``$SKLEARN_AUDIO_DATA`` is used.
"""

import argparse
from pathlib import Path

from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from _data import data_folder
from sklearn_audio import AudioLoader, CNNClassifier, DenseClassifier, LSTMClassifier, MFCCTransformer
from sklearn_audio.datasets import load_audio_folder
from sklearn_audio.metrics import (
    ConfusionMatrixDisplay,
    MulticlassRocCurveDisplay,
    TrainingHistoryDisplay,
    evaluate,
    save_figure,
)

MODELS = {"cnn": CNNClassifier, "lstm": LSTMClassifier, "dense": DenseClassifier}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=str(data_folder("music_speech_silence")))
    parser.add_argument("--model", choices=MODELS, default="cnn")
    parser.add_argument("--sr", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out-dir", default="folder_output")
    args = parser.parse_args()

    data = load_audio_folder(args.data_dir)
    X_train, X_test, y_train, y_test = train_test_split(
        data.filenames, data.target, test_size=0.25, stratify=data.target, random_state=0
    )
    n_fft = 512 if args.sr <= 8000 else 2048
    pipe = Pipeline([
        ("load", AudioLoader(sr=args.sr)),
        ("mfcc", MFCCTransformer(sr=args.sr, n_fft=n_fft, hop_length=n_fft // 4,
                                 output="stats" if args.model == "dense" else "frames")),
        ("clf", MODELS[args.model](epochs=args.epochs, random_state=0)),
    ])
    pipe.fit(X_train, y_train)
    report = evaluate(pipe, X_test, y_test)
    print(report)

    out = Path(args.out_dir)
    save_figure(ConfusionMatrixDisplay.from_report(report), out / "confusion_matrix.png")
    save_figure(MulticlassRocCurveDisplay.from_estimator(pipe, X_test, y_test), out / "roc.png")
    save_figure(TrainingHistoryDisplay.from_estimator(pipe), out / "history.png")
    print(f"plots written to {out}/")


if __name__ == "__main__":
    main()
