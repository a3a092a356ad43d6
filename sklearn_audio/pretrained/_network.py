"""musicnn's front end (NumPy) and its four networks rebuilt in Keras 3 layers.

A port of ``musicnn/extractor.py`` and ``musicnn/models.py`` from the
``musicnn`` 0.1.0 wheel (Jordi Pons, ISC license, see
``weights/LICENSE-musicnn.txt``), written anew for Keras 3; the weights are
the wheel's TF1 checkpoints converted by ``tools/musicnn/convert_weights.py``.

Front end (``extractor.batch_data``): the waveform at 16 kHz, a centred STFT
(n_fft 512, hop 256, periodic Hann, zero padding), power, 96 Slaney mel
bands, then ``log10(10000 x + 1)``; cut into non-overlapping patches of 187
frames (3 s), the tail that does not fill a patch dropped.

Where the port departs from the original, both times where the original
fails (the reference fixture was recorded with the same two changes, see
``tools/musicnn/make_reference.py``):

* the original casts the mel spectrogram to float16 before the log, which
  overflows to ``inf`` on loud audio; the port computes in float32;
* a clip shorter than one patch ends the original with an
  ``UnboundLocalError``; the port tiles its spectrogram along time until it
  covers one patch (the models' training ``pad_short="repeat-pad"``).

TensorFlow and Keras are imported only when a network is first built.
"""

import threading
from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
# librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1, as extractor.py computes it.
PATCH_FRAMES = 187
# tf.compat.v1.layers.batch_normalization's default, which every checkpoint was trained with.
BN_EPSILON = 1e-3

MODELS = ("MSD_musicnn", "MTT_musicnn", "MSD_vgg", "MTT_vgg")

# The layers each family exposes, with their width per patch.
MUSICNN_LAYERS = {"taggram": 50, "mean_pool": 753, "max_pool": 753, "penultimate": 200}
VGG_LAYERS = {"taggram": 50, "pool5": 256}


def layers_of(model):
    """``{layer name: width}`` of the outputs of ``model``."""
    return VGG_LAYERS if model.endswith("_vgg") else MUSICNN_LAYERS


# ----------------------------------------------------------------- front end


@lru_cache(maxsize=1)
def _front_end_constants():
    import librosa  # deferred: slow to import, and only needed here

    window = librosa.filters.get_window("hann", N_FFT, fftbins=True).astype(np.float32)
    # librosa.feature.melspectrogram's filterbank: Slaney scale and norm, 0 Hz to sr/2.
    mel = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, dtype=np.float32)
    return window, np.ascontiguousarray(mel.T)


def log_mel(waveform):
    """musicnn's input spectrogram of one 16-kHz waveform.

    Equals ``np.log10(10000 * librosa.feature.melspectrogram(y=waveform,
    sr=16000, hop_length=256, n_fft=512, n_mels=96).T + 1)`` in float32.

    Parameters
    ----------
    waveform : ndarray of float32, shape (samples,)

    Returns
    -------
    spectrogram : ndarray of float32, shape (1 + samples // 256, 96)
    """
    import scipy.fft

    window, mel_t = _front_end_constants()
    waveform = np.asarray(waveform, dtype=np.float32)
    pad = N_FFT // 2
    padded = np.zeros(len(waveform) + 2 * pad, dtype=np.float32)
    padded[pad : pad + len(waveform)] = waveform
    frames = sliding_window_view(padded, N_FFT)[::HOP][: 1 + len(waveform) // HOP]
    spectrum = scipy.fft.rfft(frames * window, axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32, copy=False)
    mel = power @ mel_t
    # Why float32 and not the original's float16: see the module docstring.
    return np.log10(10000.0 * mel + 1.0, dtype=np.float32)


def patches(spectrogram):
    """Non-overlapping 3-s patches of a spectrogram, shape ``(n_patches, 187, 96)``.

    A spectrogram shorter than one patch is tiled along time first
    (repeat-pad); the frames after the last whole patch are dropped, as in
    the original.
    """
    n = len(spectrogram)
    if n < PATCH_FRAMES:
        spectrogram = np.tile(spectrogram, (-(-PATCH_FRAMES // n), 1))
        n = len(spectrogram)
    count = (n - PATCH_FRAMES) // PATCH_FRAMES + 1
    return spectrogram[: count * PATCH_FRAMES].reshape(count, PATCH_FRAMES, N_MELS)


def n_patches_for_length(n_samples):
    """Patches of a 16-kHz clip of ``n_samples`` samples."""
    frames = 1 + int(n_samples) // HOP
    return max(1, (frames - PATCH_FRAMES) // PATCH_FRAMES + 1)


# ------------------------------------------------------------------- weights


def load_weights(model):
    """The converted checkpoint variables of ``model``, by checkpoint name (no code runs)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}.")
    ref = resources.files("sklearn_audio.pretrained") / "weights" / f"{model}.npz"
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


# ------------------------------------------------------------------ networks


def _build_musicnn(keras, epsilon):
    """``models.build_musicnn`` (front end 7774timbraltemporal, 64 mid-end filters, 200 units)."""
    L, ops = keras.layers, keras.ops
    # Every layer is float32 and initialised with zeros whatever the global Keras
    # settings: the dtype policy and the random seed state stay the user's.
    common = {"dtype": "float32"}
    conv = {"kernel_initializer": "zeros", "bias_initializer": "zeros", **common}

    def bn(name):
        return L.BatchNormalization(epsilon=epsilon, name=name, **common)

    spectrogram = keras.Input((PATCH_FRAMES, N_MELS), name="spectrogram", dtype="float32")
    x = L.Reshape((PATCH_FRAMES, N_MELS, 1), **common)(spectrogram)
    x = bn("batch_normalization")(x)

    def pooled_conv(inputs, filters, kernel, padding, index):
        # Convolution, ReLU, BN, then max over all remaining frequency bins.
        y = L.Conv2D(filters, kernel, padding=padding, activation="relu",
                     name=f"conv2d_{index}" if index else "conv2d", **conv)(inputs)  # fmt: skip
        y = bn(f"batch_normalization_{index + 1}")(y)
        return ops.max(y, axis=2)  # (batch, frames, filters)

    # Timbral filters: 'same' along time by explicit zero padding, 'valid' along frequency.
    padded = L.ZeroPadding2D(((3, 3), (0, 0)), **common)(x)
    front = [
        pooled_conv(padded, 204, (7, 38), "valid", 0),  # int(1.6 * 128), int(0.4 * 96)
        pooled_conv(padded, 204, (7, 67), "valid", 1),  # int(0.7 * 96)
        # Temporal filters, TF 'same' padding (63 frames before, 64 after for 128).
        pooled_conv(x, 51, (128, 1), "same", 2),  # int(1.6 * 32)
        pooled_conv(x, 51, (64, 1), "same", 3),
        pooled_conv(x, 51, (32, 1), "same", 4),
    ]
    front = L.Concatenate(axis=2, **common)(front)  # (batch, frames, 561)

    # Mid-end: three convolutions over time spanning all features, residual from the second.
    def mid_conv(inputs, index):
        width = inputs.shape[2]
        y = L.Reshape((PATCH_FRAMES, width, 1), **common)(inputs)
        y = L.ZeroPadding2D(((3, 3), (0, 0)), **common)(y)
        y = L.Conv2D(64, (7, width), padding="valid", activation="relu",
                     name=f"conv2d_{index}", **conv)(y)  # fmt: skip
        y = bn(f"batch_normalization_{index + 1}")(y)
        return L.Reshape((PATCH_FRAMES, 64), **common)(y)  # (batch, frames, 64)

    mid1 = mid_conv(front, 5)
    mid2 = L.Add(**common)([mid_conv(mid1, 6), mid1])
    mid3 = L.Add(**common)([mid_conv(mid2, 7), mid2])
    features = L.Concatenate(axis=2, **common)([front, mid1, mid2, mid3])  # (batch, frames, 753)

    # Back-end: temporal max and mean, interleaved per feature as the original's
    # concat of (753, 1) maps along the last axis then flatten.
    max_pool = ops.max(features, axis=1)
    mean_pool = ops.mean(features, axis=1)
    pooled = L.Reshape((2 * 753,), **common)(ops.stack([max_pool, mean_pool], axis=2))
    pooled = bn("batch_normalization_9")(pooled)
    dense = L.Dense(200, activation="relu", name="dense", **conv)(pooled)
    penultimate = bn("batch_normalization_10")(dense)
    logits = L.Dense(50, name="dense_1", **conv)(penultimate)
    outputs = {
        "taggram": ops.sigmoid(logits),
        "mean_pool": mean_pool,
        "max_pool": max_pool,
        "penultimate": penultimate,
    }
    return keras.Model(spectrogram, outputs, name="musicnn")


def _build_vgg(keras, epsilon):
    """``models.vgg`` with 128 filters (dropout is inactive at inference)."""
    L = keras.layers
    common = {"dtype": "float32"}
    conv = {"kernel_initializer": "zeros", "bias_initializer": "zeros", **common}
    spectrogram = keras.Input((PATCH_FRAMES, N_MELS), name="spectrogram", dtype="float32")
    x = L.Reshape((PATCH_FRAMES, N_MELS, 1), **common)(spectrogram)
    x = L.BatchNormalization(epsilon=epsilon, name="batch_normalization", **common)(x)
    pools = [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)),
             ((4, 4), (4, 4))]  # fmt: skip
    for k, (pool, strides) in enumerate(pools, start=1):
        x = L.Conv2D(128, (3, 3), padding="same", activation="relu", name=f"{k}CNN", **conv)(x)
        x = L.BatchNormalization(epsilon=epsilon, name=f"batch_normalization_{k}", **common)(x)
        x = L.MaxPooling2D(pool, strides=strides, padding="valid", **common)(x)
    pool5 = L.Flatten(**common)(x)  # (batch, 2 * 1 * 128), time-major as the original
    logits = L.Dense(50, name="dense", **conv)(pool5)
    outputs = {"taggram": keras.ops.sigmoid(logits), "pool5": pool5}
    return keras.Model(spectrogram, outputs, name="vgg")


def _set_weights(network, weights, model):
    """Assign every checkpoint variable to the layer of the same name; all must be used."""
    slots = {
        "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance"),
        "Conv2D": ("kernel", "bias"),
        "Dense": ("kernel", "bias"),
    }
    used = set()
    for layer in network.layers:
        names = slots.get(type(layer).__name__)
        if names is None:
            continue
        keys = [f"{layer.name}/{slot}" for slot in names]
        missing = [key for key in keys if key not in weights]
        if missing:
            raise ValueError(f"The {model} weights lack {missing}; the weight file is damaged.")
        layer.set_weights([weights[key] for key in keys])  # shapes are checked by Keras
        used.update(keys)
    unused = sorted(set(weights) - used)
    if unused:
        raise ValueError(f"The {model} weights hold variables no layer uses: {unused[:5]}.")


class Network:
    """One musicnn/vgg network with its weights, and a traced inference function.

    Calls return a dict of per-patch float32 arrays, one per layer of
    :func:`layers_of`, for a batch of spectrogram patches
    ``(batch, 187, 96)``. Inference mode: BatchNormalization uses its moving
    statistics and dropout is off.
    """

    def __init__(self, model, epsilon=BN_EPSILON):
        import keras
        import tensorflow as tf

        build = _build_vgg if model.endswith("_vgg") else _build_musicnn
        self.model = model
        self.keras_model = build(keras, epsilon)
        _set_weights(self.keras_model, load_weights(model), model)
        keras_model = self.keras_model

        # One trace for every batch size: a graph is faster than eager dispatch layer by layer.
        @tf.function(
            input_signature=[tf.TensorSpec((None, PATCH_FRAMES, N_MELS), tf.float32)],
            autograph=False,
        )
        def infer(batch):
            return keras_model(batch, training=False)

        self._infer = infer

    def __call__(self, batch):
        out = self._infer(np.ascontiguousarray(batch, dtype=np.float32))
        return {name: value.numpy() for name, value in out.items()}


_LOCK = threading.Lock()


@lru_cache(maxsize=None)
def _cached_network(model):
    return Network(model)


def get_network(model):
    """The process-wide :class:`Network` of ``model``, built on first use.

    Cached here rather than on the transformer, so that the transformer's
    state stays plain parameters (pickling, ``clone`` and the safe model
    format never see a Keras object) and every clone in a search shares one
    network per process.
    """
    with _LOCK:  # two threads must not both build it
        return _cached_network(model)
