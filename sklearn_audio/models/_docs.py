"""Docstring sections shared by the three classifiers (one source, no drift)."""

COMMON_PARAMETERS = """\
input_noise : float, default={input_noise}
        Standard deviation of Gaussian noise added to the standardised
        input during training only (a cheap augmentation: on FSDD it raises
        leave-one-speaker-out accuracy); 0 disables it.
    dropout : float, default={dropout}
        Dropout rate before the output layer (and after each hidden layer
        where the family says so). In [0, 1).
    l2 : float, default={l2}
        L2 penalty on the kernels of the convolutional, recurrent and dense
        layers; 0 disables it.
    learning_rate : float, default=1e-3
        Step size of the optimizer.
    optimizer : str, default="adam"
        Name of a Keras optimizer ("adam", "adamw", "rmsprop", "sgd", ...).
    epochs : int, default={epochs}
        Maximum number of passes over the training examples.
    batch_size : int, default=32
        Examples (clips, or segments for segmented input) per gradient step.
    validation_fraction : float, default=0.1
        Share of the training clips held out to monitor ``val_loss`` and
        ``val_accuracy`` (clip-level: the clips' aggregated probabilities,
        as :meth:`predict_proba` gives them) and for early stopping. The
        split is by clip (the segments of one clip never sit on both sides),
        stratified by class and shuffled with ``random_state``; with
        ``fit(..., groups=...)`` it holds out whole groups. When it would
        hold fewer than 3 clips of some class (small data), a warning says
        so and the fit trains all ``epochs`` on every clip instead. 0 trains
        on everything, without early stopping.
    early_stopping : bool, default=True
        Stop when the clip-level validation loss has not improved for
        ``patience`` epochs, and keep the weights of the best epoch. Needs a
        validation split; without one the fit runs all ``epochs``.
    patience : int, default={patience}
        Epochs without improvement before early stopping.
    min_epochs : int, default=10
        Warm-up: early stopping judges, stops and keeps weights only from
        this epoch on. Early epochs on few clips are noisy, and the best of
        them is often a network predicting one class.
    lr_schedule : {{"auto", "constant", "cosine", "plateau"}}, default="auto"
        How the learning rate changes during training: "plateau" halves it
        when the validation loss has not improved for ``max(1, patience // 2)``
        epochs (the training loss without a validation split); "cosine" decays it to 0 over ``epochs`` (for a fixed budget);
        "auto" is "plateau" with early stopping and "cosine" without.
    mixup : float, default=0.0
        Mixup (Zhang et al., 2018) in training only: each training example
        is blended with a random partner of its batch, by a weight drawn from
        ``Beta(mixup, mixup)``, and so are their losses. 0 turns it off;
        0.2 to 0.4 are usual values.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, given as ``class -> weight`` or computed to
        balance the classes; they multiply ``sample_weight``.
    aggregate : {{"mean", "vote"}}, default="mean"
        How :meth:`predict_proba` turns segment probabilities into clip
        probabilities: their mean, or the share of segments voting for each
        class. Padding segments take no part. Read at prediction time, so it
        can be changed after fitting.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks used in every fit, e.g. Optuna's
        ``KerasPruningCallback`` (it can monitor ``"val_accuracy"``).
        ``clone`` deep-copies them.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split. An int gives identical predictions from fit to fit on CPU;
        Python's and NumPy's global generators are left as they were.
    verbose : int or bool, default=0
        Keras's progress output: 0 silent, 1 progress bar, 2 one line per
        epoch."""

COMMON_ATTRIBUTES = """\
classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the columns of :meth:`predict_proba`.
    n_classes_ : int
        Number of classes.
    n_features_in_ : int
        Size of the last axis of the training input: {last_axis}.
    feature_names_in_ : ndarray of str
        Column names, when fitted on a 2-D DataFrame: one per feature.
    example_shape_ : tuple of int
        Shape of one example (a clip, or a segment of a segmented clip):
        {example}. Prediction input must match it.
    model_ : keras.Model
        The trained network, from the input ``Normalization`` layer (set from
        the training examples) to the softmax output.
    history_ : dict of str to list of float
        Per-epoch ``"loss"`` and ``"accuracy"`` on the training examples,
        ``"learning_rate"`` and, with a validation split, the clip-level
        ``"val_loss"`` and ``"val_accuracy"``.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int or None
        The epoch (from 1) whose weights were kept by early stopping; None
        when the fit ran without it (the last epoch's weights are kept)."""

SPEC_AUGMENT_PARAMETERS = """time_masks : int, default=0
        SpecAugment (Park et al., 2019), in training only: bands of frames
        per example set to the training mean. 0 turns it off.
    freq_masks : int, default=0
        SpecAugment bands of coefficients (MFCCs, mel bands) per example.
    mask_fraction : float, default=0.1
        Widest band, as a share of its axis; each band's width is drawn
        uniformly up to it."""

INPUT_RULE = """\
Each family has a per-example rank: {example} for this classifier. Input
    with one axis more is unsegmented, ``(n_clips, *example)``; with two axes
    more it is segmented, ``(n_clips, n_segments, *example)``, as produced by
    :class:`~sklearn_audio.RawSegmenter` followed by a feature transformer.
    Any other number of axes raises a ValueError naming the expected shapes.

    Training uses every real segment with its clip's label; all-zero
    (padding) segments are left out, and :meth:`predict_proba` aggregates
    the real segments of each clip (see ``aggregate``). Inputs are
    standardised inside the network by a ``Normalization`` layer whose mean
    and variance come from the training examples{normalization}, so no
    scaler is needed in the pipeline."""


def fill(cls, **values):
    """Substitute the shared sections into ``cls.__doc__``."""
    cls.__doc__ = cls.__doc__.format(
        common_parameters=COMMON_PARAMETERS.format(**values),
        spec_augment_parameters=SPEC_AUGMENT_PARAMETERS,
        common_attributes=COMMON_ATTRIBUTES.format(**values),
        input_rule=INPUT_RULE.format(**values),
    )
    return cls
