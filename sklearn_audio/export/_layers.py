"""Keras layers of the exported graph: waveform to features, and segment aggregation.

They reproduce, in TensorFlow ops that LiteRT converts, what
:class:`~sklearn_audio.RawSegmenter`, the feature transformers (see
``sklearn_audio._spectral``) and the classifiers' clip aggregation do in
NumPy. The window, mel filterbank and DCT matrix are non-trainable weights,
saved with the model, so loading a ``.keras`` file needs neither librosa nor
SciPy.
"""

import math

import keras
import tensorflow as tf

__all__ = ["WaveformFeatures", "ClipAggregate"]

_AMIN = 1e-10  # as sklearn_audio._spectral.AMIN and librosa.power_to_db


@keras.saving.register_keras_serializable(package="sklearn_audio_export", name="WaveformFeatures")
class WaveformFeatures(keras.layers.Layer):
    """One mono clip ``(1, n_samples)`` to the classifier's input rows and their mask.

    Outputs ``(features, mask)``: ``features`` is ``(n_rows, n_frames,
    n_outputs)`` for frames or ``(1, 2 * n_outputs)`` for statistics;
    ``mask`` ``(n_rows,)`` is 1 for rows that take part in the clip
    aggregate (real segments) and 0 for all-zero ones, all ones when the clip
    has no real segment (as ``sklearn_audio.models._data.real_segments``).
    """

    def __init__(self, n_fft, hop_length, n_mels, n_mfcc, top_db, output, n_frames,
                 segment=None, **kwargs):
        super().__init__(**kwargs)
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.n_mels = int(n_mels)
        self.n_mfcc = None if n_mfcc is None else int(n_mfcc)
        self.top_db = float(top_db)
        self.feature_output = output
        self.n_frames = None if n_frames is None else int(n_frames)
        self.segment = None if segment is None else tuple(int(v) for v in segment)
        n_bins = self.n_fft // 2 + 1
        self.window = self.add_weight(
            shape=(self.n_fft,), initializer="zeros", trainable=False, name="window")
        self.mel_t = self.add_weight(
            shape=(n_bins, self.n_mels), initializer="zeros", trainable=False, name="mel_t")
        self.dct_t = None
        if self.n_mfcc is not None:
            self.dct_t = self.add_weight(
                shape=(self.n_mels, self.n_mfcc), initializer="zeros", trainable=False,
                name="dct_t")

    def get_config(self):
        config = super().get_config()
        config.update(
            n_fft=self.n_fft, hop_length=self.hop_length, n_mels=self.n_mels,
            n_mfcc=self.n_mfcc, top_db=self.top_db, output=self.feature_output,
            n_frames=self.n_frames, segment=None if self.segment is None else list(self.segment),
        )  # fmt: skip
        return config

    @property
    def n_outputs(self):
        return self.n_mels if self.n_mfcc is None else self.n_mfcc

    def _rows(self, clip):
        """The clip as rows (segments, or the whole clip) and which rows are real."""
        if self.segment is None:
            return clip[tf.newaxis], tf.ones([1], tf.bool)
        size, hop, count = self.segment
        # A clip shorter than a segment is one segment, zero-padded at its end;
        # longer clips give whole segments only, at most the count fixed at fit.
        clip = tf.pad(clip, [[0, tf.maximum(size - tf.shape(clip)[0], 0)]])
        rows = tf.signal.frame(clip, size, hop)[:count]
        # All-zero padding segments up to the fitted count, as RawSegmenter adds:
        # a static row count, which LiteRT's LSTM kernels need.
        rows = tf.pad(rows, [[0, count - tf.shape(rows)[0]], [0, 0]])
        rows = tf.reshape(rows, [count, size])
        return rows, tf.reduce_any(tf.not_equal(rows, 0.0), axis=1)

    def _log_mel(self, rows):
        """Natural-frame features ``(n_rows, frames, n_outputs)`` and dB floors ``(n_rows,)``."""
        pad = self.n_fft // 2
        padded = tf.pad(rows, [[0, 0], [pad, pad]])  # centred frames, zero padding
        frames = tf.signal.frame(padded, self.n_fft, self.hop_length) * self.window
        # The FFT of a rank-2 (all frames, n_fft) tensor, and its magnitude through
        # ComplexAbs: tf2onnx converts an FFT only when ComplexAbs consumes it, and
        # that op's conversion needs the static rank a rank-2 input gives.
        n_bins = self.n_fft // 2 + 1
        magnitude = tf.math.abs(tf.signal.rfft(tf.reshape(frames, [-1, self.n_fft])))
        magnitude = tf.reshape(magnitude, [tf.shape(rows)[0], -1, n_bins])
        power = tf.math.square(magnitude)
        mel = tf.linalg.matmul(power, self.mel_t)
        log_mel = (10.0 / math.log(10.0)) * tf.math.log(tf.maximum(mel, _AMIN))
        floor = tf.maximum(
            tf.reduce_max(log_mel, axis=[1, 2]) - self.top_db, 10.0 * math.log10(_AMIN))
        log_mel = tf.maximum(log_mel, floor[:, tf.newaxis, tf.newaxis])
        if self.dct_t is None:
            return log_mel, floor
        return tf.linalg.matmul(log_mel, self.dct_t), floor

    def _silence(self, floor):
        flat = floor[:, tf.newaxis] * tf.ones([1, self.n_mels])
        return flat if self.dct_t is None else tf.linalg.matmul(flat, self.dct_t)

    def _fixed_frames(self, features, floor):
        """Truncate to ``n_frames`` or pad with each row's silence frame."""
        natural = tf.shape(features)[1]
        index = tf.range(self.n_frames)
        taken = tf.gather(features, tf.minimum(index, natural - 1), axis=1)
        inside = (index < natural)[tf.newaxis, :, tf.newaxis]
        return tf.where(inside, taken, self._silence(floor)[:, tf.newaxis, :])

    def _stats(self, features, real):
        """Mean then standard deviation over every frame of the real rows (zeros if none)."""
        weight = tf.cast(real, features.dtype)[:, tf.newaxis, tf.newaxis]
        count = tf.reduce_sum(weight) * tf.cast(tf.shape(features)[1], features.dtype)
        safe = tf.maximum(count, 1.0)
        mean = tf.reduce_sum(features * weight, axis=[0, 1]) / safe
        var = tf.reduce_sum(tf.square(features - mean) * weight, axis=[0, 1]) / safe
        stats = tf.concat([mean, tf.sqrt(var)], axis=0)[tf.newaxis]
        return tf.where(count > 0, stats, tf.zeros_like(stats))

    def call(self, waveform):
        rows, real = self._rows(tf.reshape(waveform, [-1]))
        features, floor = self._log_mel(rows)
        if self.feature_output == "stats":
            return self._stats(features, real), tf.ones([1])
        features = self._fixed_frames(features, floor)
        # An all-zero segment is padding: all-zero features, out of the aggregate.
        features = tf.where(real[:, tf.newaxis, tf.newaxis], features, tf.zeros_like(features))
        mask = tf.cast(real, tf.float32)
        mask = tf.where(tf.reduce_any(real), mask, tf.ones_like(mask))
        return features, mask

    def compute_output_spec(self, waveform):
        if self.feature_output == "stats":
            return (keras.KerasTensor((1, 2 * self.n_outputs)), keras.KerasTensor((1,)))
        rows = 1 if self.segment is None else self.segment[2]
        return (
            keras.KerasTensor((rows, self.n_frames, self.n_outputs)),
            keras.KerasTensor((rows,)),
        )


@keras.saving.register_keras_serializable(package="sklearn_audio_export", name="ClipAggregate")
class ClipAggregate(keras.layers.Layer):
    """Row probabilities and mask to one clip's probabilities ``(1, n_classes)``.

    ``how="mean"`` averages the masked rows; ``"vote"`` gives each class the
    share of masked rows whose most probable class it is. Rows are
    renormalised to sum to 1, as the classifiers' ``predict_proba``.
    ``metadata`` is the exported model's JSON description, stored here.
    """

    def __init__(self, how="mean", metadata="{}", **kwargs):
        super().__init__(**kwargs)
        self.how = how
        # The exported model's JSON description (classes, sampling rate):
        # kept in the layer's config, so a ``.keras`` file needs no sidecar.
        self.metadata = metadata

    def get_config(self):
        config = super().get_config()
        config.update(how=self.how, metadata=self.metadata)
        return config

    def call(self, proba, mask):
        proba = tf.cast(proba, tf.float32)
        if self.how == "vote":
            proba = tf.one_hot(tf.argmax(proba, axis=1), tf.shape(proba)[1], dtype=tf.float32)
        clip = tf.reduce_sum(proba * mask[:, tf.newaxis], axis=0, keepdims=True)
        return clip / tf.reduce_sum(clip, axis=1, keepdims=True)

    def compute_output_spec(self, proba, mask):
        return keras.KerasTensor((1, proba.shape[-1]))
