"""SpecAugment time and frequency masks, inside the Keras training graph.

Masking random bands of frames and of coefficients (Park et al., 2019) is
augmentation on the features, so it costs nothing at prediction time: the
layer is the identity when ``training`` is false. It sits right after the
input ``Normalization``, so a masked value is the training mean (0 after
standardisation), not a loud outlier.
"""

import keras

__all__ = ["SpecAugment"]


@keras.saving.register_keras_serializable(package="sklearn_audio", name="SpecAugment")
class SpecAugment(keras.layers.Layer):
    """Zero random bands of frames (time) and coefficients (frequency) in training.

    Parameters
    ----------
    time_masks, freq_masks : int
        Masks per example along the frames axis (``-2``) and the
        coefficients axis (``-1``).
    max_fraction : float
        Widest mask, as a share of its axis; each mask's width is drawn
        uniformly from 0 to that many frames or coefficients.
    seed : int or None
        Seeds the layer's own generator (its state is a variable of the
        network, so a seeded fit is repeatable).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_audio.models._spec_augment import SpecAugment
    >>> layer = SpecAugment(time_masks=2, freq_masks=1, max_fraction=0.3, seed=0)
    >>> x = np.ones((4, 20, 10), dtype="float32")
    >>> bool((np.asarray(layer(x, training=False)) == x).all())
    True
    >>> masked = np.asarray(layer(x, training=True))
    >>> bool((masked == 0).any() and (masked == 1).any())
    True
    """

    def __init__(self, time_masks=0, freq_masks=0, max_fraction=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.time_masks = int(time_masks)
        self.freq_masks = int(freq_masks)
        self.max_fraction = float(max_fraction)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _band_mask(self, batch, length, n_masks):
        """(batch, length) float mask, 0 inside ``n_masks`` random bands per example."""
        ops = keras.ops
        widest = max(1, int(round(self.max_fraction * length)))
        positions = ops.arange(length, dtype="float32")[None, :]
        keep = ops.ones((batch, length), dtype="float32")
        for _ in range(n_masks):
            width = ops.floor(
                keras.random.uniform((batch, 1), 0, widest + 1, seed=self.seed_generator)
            )
            start = ops.floor(
                keras.random.uniform((batch, 1), seed=self.seed_generator) * (length - width + 1)
            )
            inside = ops.logical_and(positions >= start, positions < start + width)
            keep = keep * (1.0 - ops.cast(inside, "float32"))
        return keep

    def call(self, inputs, training=False):
        if not training or not (self.time_masks or self.freq_masks):
            return inputs
        ops = keras.ops
        batch = ops.shape(inputs)[0]
        frames, coeffs = inputs.shape[-2], inputs.shape[-1]
        keep = ops.ones_like(inputs)
        if self.time_masks:
            band = self._band_mask(batch, frames, self.time_masks)[:, :, None]
            keep = keep * ops.cast(band, inputs.dtype)
        if self.freq_masks:
            band = self._band_mask(batch, coeffs, self.freq_masks)[:, None, :]
            keep = keep * ops.cast(band, inputs.dtype)
        return inputs * keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            time_masks=self.time_masks,
            freq_masks=self.freq_masks,
            max_fraction=self.max_fraction,
            seed=self.seed,
        )
        return config
