"""Convert musicnn's TF1 checkpoints into the .npz weight files vendored in sklearn-audio.

Run once, in the project's environment (TensorFlow 2 reads TF1 checkpoints
without the original code)::

    pip download --no-deps musicnn==0.1.0 -d /tmp/musicnn-dl
    python tools/musicnn/convert_weights.py /tmp/musicnn-dl/musicnn-0.1.0-py3-none-any.whl

It reads every trained variable of the four checkpoints in the wheel (the
Adam slots and step counters are training state and are left out), stores
them as float32 arrays named by their checkpoint variable names in
``sklearn_audio/pretrained/weights/<model>.npz`` (loaded with
``allow_pickle=False``: no code runs at load), and writes ``provenance.json``
(the wheel's SHA-256, the checkpoints, each file's SHA-256) and the ISC
notice the license asks to ship with every copy.
"""

import argparse
import hashlib
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sklearn_audio._atomic import atomic_path, atomic_write_text  # noqa: E402

MODELS = ("MSD_musicnn", "MTT_musicnn", "MSD_vgg", "MTT_vgg")
OUT = Path(__file__).resolve().parents[2] / "sklearn_audio" / "pretrained" / "weights"
_TRAINING_STATE = ("Adam", "beta1_power", "beta2_power")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_checkpoint(prefix):
    """Trained variables of one TF1 checkpoint, by name, as float32."""
    import tensorflow as tf

    reader = tf.compat.v1.train.NewCheckpointReader(str(prefix))
    return {
        name: np.asarray(reader.get_tensor(name), dtype=np.float32)
        for name in sorted(reader.get_variable_to_shape_map())
        if not any(part in name for part in _TRAINING_STATE)
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="musicnn-0.1.0-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    provenance = {
        "source": "musicnn 0.1.0 (PyPI wheel), https://github.com/jordipons/musicnn",
        "wheel": args.wheel.name,
        "wheel_sha256": sha256(args.wheel),
        "license": "ISC, see LICENSE-musicnn.txt",
        "citation": (
            "Jordi Pons and Xavier Serra. musicnn: pre-trained convolutional neural "
            "networks for music audio tagging. ISMIR 2019 Late-Breaking/Demo."
        ),
        "conversion": (
            "tools/musicnn/convert_weights.py: every trained variable of each TF1 "
            "checkpoint, float32, keyed by its checkpoint name; Adam slots and "
            "beta powers dropped"
        ),
        "models": {},
    }
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(args.wheel) as wheel:
        wheel.extractall(tmp)
        root = Path(tmp)
        license_text = (root / "musicnn-0.1.0.dist-info" / "LICENSE.md").read_text()
        for model in MODELS:
            folder = root / "musicnn" / model
            weights = read_checkpoint(f"{folder}/")
            target = args.out / f"{model}.npz"
            with atomic_path(target) as tmp:  # a failed run never leaves half a weight file
                np.savez_compressed(tmp, **weights)
            provenance["models"][model] = {
                "checkpoint": f"musicnn/{model}/ (.index, .data-00000-of-00001)",
                "checkpoint_data_sha256": sha256(folder / ".data-00000-of-00001"),
                "file": target.name,
                "file_sha256": sha256(target),
                "n_parameters": int(sum(w.size for w in weights.values())),
                "variables": {name: list(w.shape) for name, w in weights.items()},
            }
            print(model, provenance["models"][model]["n_parameters"], "parameters")

    notice = (
        "The files MSD_musicnn.npz, MTT_musicnn.npz, MSD_vgg.npz and MTT_vgg.npz in this\n"
        "folder are the weights of the musicnn models (musicnn 0.1.0), converted from their\n"
        "TensorFlow checkpoints by tools/musicnn/convert_weights.py; see provenance.json.\n"
        "They are distributed under the musicnn license, reproduced here:\n\n" + license_text
    )
    atomic_write_text(args.out / "LICENSE-musicnn.txt", notice)
    atomic_write_text(args.out / "provenance.json", json.dumps(provenance, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
