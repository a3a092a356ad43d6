"""TensorFlow's private helpers for writing LiteRT (TFLite) files.

Importing this module imports TensorFlow. ``tests/test_compat_tflite.py``
checks both helpers against the installed TensorFlow.
"""

from tensorflow.lite.python import schema_py_generated as _schema
from tensorflow.lite.tools import flatbuffer_utils as _flatbuffer_utils
from tensorflow.python.framework.convert_to_constants import (
    convert_variables_to_constants_v2 as _convert_variables_to_constants_v2,
)

__all__ = ["add_metadata", "freeze_variables"]


def freeze_variables(concrete_function):
    """``concrete_function`` with its variables replaced by constants.

    Keras 3 weights stay resource variables in a traced function, and LiteRT
    leaves those uninitialised (NaN outputs or a ``READ_VARIABLE`` failure):
    freezing them first makes the converted model self-contained.
    """
    return _convert_variables_to_constants_v2(concrete_function)


def add_metadata(flatbuffer, name, text):
    """The LiteRT flatbuffer ``flatbuffer`` with ``text`` as the metadata entry ``name``.

    The public ``tflite_support`` metadata writer is not maintained for
    current TensorFlow; the schema's object API does the same in a few lines.
    """
    model = _flatbuffer_utils.read_model_from_bytearray(bytearray(flatbuffer))
    buffer = _schema.BufferT()
    buffer.data = list(text.encode("utf-8"))
    model.buffers.append(buffer)
    entry = _schema.MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    model.metadata = (model.metadata or []) + [entry]
    return bytes(_flatbuffer_utils.convert_object_to_bytearray(model))
