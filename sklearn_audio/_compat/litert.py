"""The LiteRT runtime's flatbuffer schema, which ``ai-edge-litert`` does not document.

The runtime reads the JSON description stored in an exported ``.tflite`` file
through the schema's generated reader. Importing this module imports neither
TensorFlow nor scikit-learn; ``tests/test_compat_tflite.py`` checks it against
the installed ``ai-edge-litert``.
"""

__all__ = ["read_metadata_entry"]


def read_metadata_entry(content, name):
    """The bytes of the metadata entry ``name`` of a LiteRT flatbuffer, or None.

    Raises whatever the generated reader raises on bytes that are not a
    LiteRT model.
    """
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(content, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() == name.encode():
            return bytes(model.Buffers(entry.Buffer()).DataAsNumpy())
    return None
