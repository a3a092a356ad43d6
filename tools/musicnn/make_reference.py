"""Record the original musicnn package's outputs as the port's test fixture.

Run with the ORIGINAL package, in its own virtualenv (it cannot live in the
project's environment: its metadata pins ``numpy<1.17`` and its code needs
``tf.compat.v1`` layers, i.e. legacy Keras 2)::

    python3 -m venv /tmp/musicnn-ref-venv
    /tmp/musicnn-ref-venv/bin/pip install tensorflow-cpu tf-keras librosa
    pip download --no-deps musicnn==0.1.0            # the 29 MB wheel
    /tmp/musicnn-ref-venv/bin/pip install --no-deps musicnn-0.1.0-py3-none-any.whl
    TF_USE_LEGACY_KERAS=1 /tmp/musicnn-ref-venv/bin/python tools/musicnn/make_reference.py \\
        --data /work/shared/data --out tests/data/musicnn_reference.npz

(Recorded with tensorflow-cpu 2.21.0, tf-keras 2.21.0, librosa 0.11.0,
numpy 2.4.6, Python 3.11.)

The script patches the installed ``musicnn/extractor.py`` in that venv, and
only in two places, each asserted against the original text:

1. ``audio_rep.astype(np.float16)`` becomes ``astype(np.float32)``. The
   float16 cast overflows to inf on loud audio before ``log10(10000 x + 1)``
   (see the design notes); the port computes in float32, so the reference
   must too.
2. A spectrogram shorter than one 3-s patch (187 frames) is tiled along time
   until it covers one ("repeat-pad", the ``pad_short`` setting in the
   models' training ``config.json``). Unpatched, ``batch_data`` ends with an
   ``UnboundLocalError`` on such clips, and the 1-s music/speech clips are
   that short.

Everything else (loading, resampling, the mel spectrogram, patching, the
TF1 graph and its checkpoint) is the original code.
"""

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import sys  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

# Only the standard-library helper for atomic writes, not the package's dependencies.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sklearn_audio._atomic import atomic_path  # noqa: E402

MODELS = ("MSD_musicnn", "MTT_musicnn", "MSD_vgg", "MTT_vgg")
# Clips of /work/shared/data: two 4-s rendered instruments at 22,050 Hz (one
# 3-s patch each after resampling to 16 kHz), a 1-s music and a 1-s speech
# clip at 8 kHz (repeat-padded), and the two instruments back to back (8 s,
# two patches, the tail dropped), which the tests rebuild the same way.
CLIPS = (
    "gm_instruments/cello/cello_00.wav",
    "gm_instruments/flute/flute_00.wav",
    "music_speech_silence/music/m_65745_0.0_1.0.wav",
    "music_speech_silence/speech/s_WOSUYWSZ8W_8.0_9.0.wav",
)
JOINED = ("gm_instruments/cello/cello_00.wav", "gm_instruments/flute/flute_00.wav")
JOINED_NAME = "joined:cello_00+flute_00"

_PATCHES = (
    (
        "    audio_rep = audio_rep.astype(np.float16)\n",
        "    audio_rep = audio_rep.astype(np.float32)  # sklearn-audio patch 1: was float16\n",
    ),
    (
        "    # batch it for an efficient computing\n",
        "    # sklearn-audio patch 2: repeat-pad spectrograms shorter than one patch\n"
        "    if audio_rep.shape[0] < n_frames:\n"
        "        audio_rep = np.tile(audio_rep, (-(-n_frames // audio_rep.shape[0]), 1))\n"
        "    # batch it for an efficient computing\n",
    ),
)


def patch_extractor():
    """Apply the two documented patches to the installed extractor.py (idempotent)."""
    import importlib.util

    path = Path(importlib.util.find_spec("musicnn").origin).parent / "extractor.py"
    text = path.read_text()
    if "sklearn-audio patch" in text:
        return path
    for old, new in _PATCHES:
        assert text.count(old) == 1, f"unexpected extractor.py: {old!r} not found once"
        text = text.replace(old, new)
    path.write_text(text)
    return path


def joined_clip(data_root):
    """The two instrument clips back to back, as the 16-bit PCM they are stored in."""
    parts = [sf.read(data_root / name, dtype="int16") for name in JOINED]
    assert len({sr for _, sr in parts}) == 1
    return np.concatenate([audio for audio, _ in parts]), parts[0][1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--out", type=Path, default=Path("tests/data/musicnn_reference.npz"))
    args = parser.parse_args()

    patched = patch_extractor()
    print(f"patched {patched}")
    import librosa
    import tensorflow as tf

    from musicnn import extractor

    with tempfile.TemporaryDirectory() as tmp:
        joined = Path(tmp) / "joined.wav"
        audio, sr = joined_clip(args.data)
        sf.write(joined, audio, sr, subtype="PCM_16")
        files = [(name, args.data / name) for name in CLIPS] + [(JOINED_NAME, joined)]

        out = {"clips": np.array([name for name, _ in files])}
        for k, (name, path) in enumerate(files):
            batch, spectrogram = extractor.batch_data(str(path), 187, 187)
            out[f"spectrogram_{k}"] = spectrogram.astype(np.float32)
            for model in MODELS:
                taggram, _, features = extractor.extractor(
                    str(path), model=model, input_length=3, extract_features=True
                )
                out[f"{model}_taggram_{k}"] = taggram.astype(np.float32)
                if "vgg" in model:
                    # The original squeezes pool5 (patches, 2, 1, 128) and stacks the
                    # patches along time: restore one row per patch.
                    pool5 = features["pool5"].reshape(len(taggram), -1, 128)
                    out[f"{model}_pool5_{k}"] = pool5.astype(np.float32)
                else:
                    for layer in ("mean_pool", "max_pool", "penultimate"):
                        out[f"{model}_{layer}_{k}"] = features[layer].astype(np.float32)
                print(name, model, taggram.shape, flush=True)
    out["versions"] = np.array(
        [f"tensorflow {tf.__version__}", f"librosa {librosa.__version__}",
         f"numpy {np.__version__}"]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out) as tmp:
        np.savez_compressed(tmp, **out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
