"""Conversion of the exported Keras model to ONNX (tf2onnx), metadata included."""

import tensorflow as tf

__all__ = ["METADATA_KEY", "OPSET", "to_onnx"]

#: Key of the ``metadata_props`` entry holding the JSON description.
METADATA_KEY = "sklearn_audio"
#: ONNX opset: 17 brought the DFT operator the spectrogram needs.
OPSET = 18


def to_onnx(model, metadata_text):
    """ONNX model bytes of ``model``, metadata in ``metadata_props``.

    One input, ``waveform`` float32 ``(1, n_samples)`` (any length), and one
    output, the probabilities ``(1, n_classes)``.
    """
    try:
        import tf2onnx
    except ImportError:
        raise ImportError(
            'Exporting to ONNX needs tf2onnx: pip install "sklearn-audio[export]" '
            "(or pip install tf2onnx)."
        ) from None
    signature = [tf.TensorSpec([1, None], tf.float32, name="waveform")]

    @tf.function(input_signature=signature)
    def serve(waveform):
        return {"probabilities": model(waveform, training=False)}

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=OPSET)
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, metadata_text
    return proto.SerializeToString()
