"""Conversion of the exported Keras model to LiteRT (TFLite), metadata included."""

import tensorflow as tf

from .._compat.tflite import add_metadata, freeze_variables

__all__ = ["METADATA_NAME", "to_tflite"]

#: Name of the flatbuffer metadata entry holding the JSON description.
METADATA_NAME = "sklearn_audio"


def to_tflite(model, metadata_text):
    """LiteRT flatbuffer bytes of ``model`` (built-in ops only), metadata embedded.

    One input, the waveform float32 ``(1, n_samples)`` (resize it to the
    clip's length), and one output, the probabilities ``(1, n_classes)``.
    """

    @tf.function(input_signature=[tf.TensorSpec([1, None], tf.float32, name="waveform")])
    def serve(waveform):
        return {"probabilities": model(waveform, training=False)}

    frozen = freeze_variables(serve.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen], model)
    # Built-in ops only: the light runtime (ai-edge-litert) has no TF kernels.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return add_metadata(converter.convert(), METADATA_NAME, metadata_text)
