"""Every private API of scikit-learn, scikeras and Keras that sklearn-audio uses, in one place.

Upstream may rename or remove a private name in any release. Keeping every
such use in this package (one submodule per upstream project, so that using
scikit-learn's never imports TensorFlow) means one place to mend, and
``tests/test_compat.py`` checks that each name still exists with the
behaviour we rely on, so an upstream rename fails one named test loudly
instead of silently changing results.

* :mod:`._compat.sklearn`: scikit-learn;
* :mod:`._compat.keras`: Keras 3 and TensorFlow;
* :mod:`._compat.tflite`: TensorFlow's LiteRT (TFLite) writing helpers;
* :mod:`._compat.litert`: the LiteRT runtime's flatbuffer schema (no TensorFlow).

No scikeras private remains: the classifiers call Keras's ``fit`` themselves
and use scikeras only as their public base class (which also makes fitted
Keras models picklable); its version is bounded in ``pyproject.toml``.
"""
