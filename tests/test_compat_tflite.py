"""The private LiteRT helpers behind sklearn_audio._compat.tflite and .litert still behave."""

import json

import numpy as np
import tensorflow as tf
from ai_edge_litert import interpreter as litert

from sklearn_audio._compat.litert import read_metadata_entry
from sklearn_audio._compat.tflite import add_metadata, freeze_variables


def _convert(function):
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()


def test_freeze_variables_keeps_the_values_litert_would_lose():
    # tensorflow.python.framework.convert_to_constants.convert_variables_to_constants_v2
    weight = tf.Variable([[2.0, -1.0], [0.5, 3.0]])

    @tf.function(input_signature=[tf.TensorSpec([1, 2], tf.float32)])
    def apply(x):
        return tf.linalg.matmul(x, weight)

    frozen = freeze_variables(apply.get_concrete_function())
    assert not frozen.graph.variables
    interpreter = litert.Interpreter(model_content=_convert(frozen))
    interpreter.allocate_tensors()
    x = np.array([[1.0, 2.0]], dtype=np.float32)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(out, x @ weight.numpy())


def test_add_metadata_stores_a_named_entry_the_runtime_reads(tmp_path):
    # tensorflow.lite.tools.flatbuffer_utils and tensorflow.lite.python.schema_py_generated
    from sklearn_audio.runtime import _tflite_metadata

    @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32)])
    def double(x):
        return 2.0 * x

    text = json.dumps({"format": "probe", "classes": ["a", "b"]})
    content = add_metadata(_convert(double.get_concrete_function()), "sklearn_audio", text)
    assert _tflite_metadata(content, "probe.tflite") == json.loads(text)
    # The model still runs: the entry is metadata, not a change to the graph.
    interpreter = litert.Interpreter(model_content=content)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"],
                           np.ones((1, 3), np.float32))
    interpreter.invoke()
    np.testing.assert_allclose(
        interpreter.get_tensor(interpreter.get_output_details()[0]["index"]), 2.0)


def test_read_metadata_entry_reads_what_add_metadata_wrote():
    # ai_edge_litert.schema_py_generated: Model.GetRootAs, Metadata, Buffers
    @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32)])
    def double(x):
        return 2.0 * x

    content = add_metadata(_convert(double.get_concrete_function()), "probe", "é and 1 2 3")
    assert read_metadata_entry(content, "probe").decode("utf-8") == "é and 1 2 3"
    assert read_metadata_entry(content, "absent") is None

