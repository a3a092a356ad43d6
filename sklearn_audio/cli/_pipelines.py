"""The pipelines the command line trains, and the evidence-based choices of their defaults.

The defaults follow ``benchmarks/small_data.py`` (clip accuracy on held-out
clips): a :class:`~sklearn_audio.DenseClassifier` on MFCC statistics is the
best and cheapest model on small data (music/speech/silence 0.988, 8
instruments 0.978, FSDD with 10 clips per digit 0.70 against the CNN's
0.66), the CNN wins on larger data (FSDD, 2,700 clips: 99.3 % against
98.3 %), and long clips are cut into 3-s segments (the CNN fed whole 60-s
genre clips as single examples scored 0.287).
"""

import math
import statistics

# The estimators are imported by the functions that build pipelines: the
# command's parser reads the constants here, and must stay light for
# ``--help`` and for ``predict`` with an exported model.

MODELS = ("cnn", "lstm", "dense")
#: Front ends of ``train --features``: MFCCs computed here, or the pretrained
#: musicnn embedding (one vector per clip, for the dense network).
FEATURES = ("mfcc", "musicnn")

#: ``--model auto`` trains the CNN from this many training clips, the dense
#: network on MFCC statistics below it.
AUTO_CNN_MIN_CLIPS = 1000
#: Segment length the command cuts long clips into by default.
SEGMENT_SECONDS = 3.0
#: Clips whose median duration exceeds this are segmented by default: two
#: segments or more per clip.
SEGMENT_LONGER_THAN = 2 * SEGMENT_SECONDS
#: Segments per clip the command keeps at most, taken from a clip's start. 30
#: keeps every segment of a 30-s clip (GTZAN, the music reference: 10 segments
#: of the default 3 s) even when cut into 1-s segments; the clips of
#: ``benchmarks/small_data.py`` (1 to 4 s) never reach it. One long recording
#: no longer pads every other clip to its segment count (a 10-minute file in
#: 1-s segments would make every clip 600 segments long).
MAX_SEGMENTS = 30
#: Files decoded and featurised at a time by the command's pipelines: bounds
#: the raw audio in memory (32 clips of 30 s at 22,050 Hz: 85 MB of samples).
CHUNK_SIZE = 32
#: The classifiers' defaults for the knobs the command exposes, for its help
#: text (building the parser must not import Keras). A test checks them
#: against the classifiers' signatures.
CLASSIFIER_DEFAULTS = {
    "epochs": 100,
    "early_stopping": True,
    "patience": 10,
    "min_epochs": 10,
    "learning_rate": 1e-3,
    "lr_schedule": "auto",
    "batch_size": 32,
    "validation_fraction": 0.1,
    "mixup": 0.0,
    "time_masks": 0,
    "freq_masks": 0,
}
LR_SCHEDULES = ("auto", "constant", "cosine", "plateau")
#: Parameters the dense network on MFCC statistics does not have: they act
#: on frames (SpecAugment).
FRAME_ONLY_PARAMS = ("time_masks", "freq_masks")


def spectral_params(sr):
    """FFT size of about 64 ms (a power of two) and a quarter of it as hop, for any rate.

    This gives the usual 2048/512 at 22,050 Hz and 512/128 at 8 kHz.
    """
    n_fft = 2 ** math.ceil(math.log2(sr * 0.064))
    return {"n_fft": n_fft, "hop_length": n_fft // 4}


def choose_model(n_training_clips):
    """The network ``--model auto`` trains on ``n_training_clips`` clips, and why.

    Parameters
    ----------
    n_training_clips : int
        Clips the model is fitted on.

    Returns
    -------
    model : {"dense", "cnn"}
    reason : str
        One sentence for the command's output and ``report.json``.

    Examples
    --------
    >>> from sklearn_audio.cli._pipelines import choose_model
    >>> choose_model(320)[0], choose_model(2700)[0]
    ('dense', 'cnn')
    """
    if n_training_clips < AUTO_CNN_MIN_CLIPS:
        return "dense", (
            f"{n_training_clips} training clips, fewer than {AUTO_CNN_MIN_CLIPS}: the dense "
            "network on MFCC statistics is the most accurate and the cheapest on small data"
        )
    return "cnn", (
        f"{n_training_clips} training clips, {AUTO_CNN_MIN_CLIPS} or more: the CNN on MFCC "
        "frames is the most accurate on larger data"
    )


def choose_segmenting(durations, requested=None):
    """Segment length for clips of these durations, and why.

    Parameters
    ----------
    durations : sequence of float
        The clips' durations in seconds.
    requested : float or None, default=None
        ``--segment-seconds``: None chooses, 0 keeps whole clips, a positive
        number is that length.

    Returns
    -------
    segment_seconds : float or None
        None means whole clips.
    reason : str
        One sentence for the command's output and ``report.json``.

    Examples
    --------
    >>> from sklearn_audio.cli._pipelines import choose_segmenting
    >>> choose_segmenting([30.0, 30.0, 29.5])[0]    # long clips: 3-s segments
    3.0
    >>> choose_segmenting([0.4, 0.6, 0.5])[0] is None    # short ones stay whole
    True
    >>> choose_segmenting([30.0], requested=0)[0] is None
    True
    """
    median = statistics.median(durations)
    span = f"clips of {min(durations):.1f} to {max(durations):.1f} s (median {median:.1f} s)"
    if requested == 0:
        return None, f"{span}: whole clips, as --segment-seconds 0 asks"
    if requested is not None:
        return float(requested), f"{span}: {requested:g}-s segments, as --segment-seconds asks"
    if median > SEGMENT_LONGER_THAN:
        return SEGMENT_SECONDS, (
            f"{span}: {SEGMENT_SECONDS:g}-s segments, the default for clips longer than "
            f"{SEGMENT_LONGER_THAN:g} s (--segment-seconds 0 keeps whole clips)"
        )
    return None, (
        f"{span}: whole clips, the default for clips of {SEGMENT_LONGER_THAN:g} s or less "
        "(--segment-seconds S cuts them)"
    )


def build_pipeline(model, *, sr, segment_seconds=None, n_mfcc=13, augment=0, random_state=0,
                   callbacks=None, verbose=False, max_segments=MAX_SEGMENTS,
                   chunk_size=CHUNK_SIZE, features="mfcc", on_unreadable="raise",
                   normalize=None, pitch_semitones=None, **classifier_params):
    """Loader, optional segmenter and augmenter, MFCC features and one of our Keras classifiers.

    With ``features="musicnn"``, the front end is instead a
    :class:`~sklearn_audio.pretrained.MusicnnTransformer` (file paths to one
    pretrained embedding per clip, its own 3-s patches averaged), followed by
    the dense network.

    The pipeline is a :class:`~sklearn_audio.StreamingPipeline`:
    files are decoded, segmented and featurised ``chunk_size`` at a time and
    only their features are kept, so the memory a data set takes is that of
    its features, not of its audio. Its output is that of the plain
    pipeline of the same steps.

    Parameters
    ----------
    model : {"cnn", "lstm", "dense"}
        The network family. ``"dense"`` works on MFCC summary statistics.
    sr : int
        Sampling rate every file is resampled to.
    segment_seconds : float or None
        Cut clips into segments of this length (predictions are per clip).
    n_mfcc : int
        MFCC coefficients per frame.
    augment : int
        Augmented copies of every segment in training
        (:class:`~sklearn_audio.WaveformAugmenter`); 0 adds no augmenter.
        Needs ``segment_seconds``.
    random_state : int
        Seed of the classifier and of the augmenter.
    callbacks : list or None
        Extra Keras callbacks for training (a progress bar, a pruning callback).
    verbose : bool
        Progress bar while decoding files.
    max_segments : int or None, default=MAX_SEGMENTS (30)
        At most this many segments per clip, taken from the clip's start
        (:class:`~sklearn_audio.RawSegmenter` drops the rest); None keeps
        every segment of the longest clip. Only used with ``segment_seconds``.
    chunk_size : int, default=CHUNK_SIZE (32)
        Files decoded and featurised at a time.
    on_unreadable : {"raise", "skip"}, default="raise"
        The loader's: ``"skip"`` decodes a file that fails mid-way as
        silence, with a warning naming it (``--skip-unreadable``).
    features : {"mfcc", "musicnn"}, default="mfcc"
        The front end. ``"musicnn"`` needs ``model="dense"`` and takes no
        ``segment_seconds``, ``augment`` or ``max_segments``.
    normalize : {None, "mean"}, default=None
        The MFCC step's per-clip mean normalisation (``--normalize mean``);
        needs a network on frames (``"cnn"`` or ``"lstm"``).
    pitch_semitones : float or None, default=None
        The augmenter's ``pitch_semitones`` (``--pitch-shift``): half the
        augmented copies get their pitch shifted by a random amount up to
        this many semitones either way; needs ``augment``.
    **classifier_params
        Parameters of the classifier (``epochs``, ``patience``...); those
        given as None keep the classifier's default.

    Returns
    -------
    pipeline : StreamingPipeline or Pipeline
        Steps ``load``, optionally ``seg`` and ``aug``, then ``mfcc`` and
        ``clf``; with ``features="musicnn"`` a plain Pipeline of ``musicnn``
        (which streams from the paths itself) and ``clf``.

    Examples
    --------
    >>> from sklearn_audio.cli._pipelines import build_pipeline
    >>> pipe = build_pipeline("cnn", sr=8000, segment_seconds=1.0, augment=2, epochs=30)
    >>> [name for name, _ in pipe.steps]
    ['load', 'seg', 'aug', 'mfcc', 'clf']
    >>> pipe.named_steps["clf"].epochs, pipe.named_steps["aug"].n_copies
    (30, 2)
    >>> pipe.named_steps["seg"].max_segments, pipe.chunk_size
    (30, 32)
    >>> [name for name, _ in build_pipeline("dense", sr=16000, features="musicnn").steps]
    ['musicnn', 'clf']
    """
    from .. import models
    from .._streaming import StreamingPipeline
    from ..augment import WaveformAugmenter
    from ..features import MFCCTransformer
    from ..io import AudioLoader
    from ..segment import RawSegmenter

    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose one of {', '.join(MODELS)}.")
    if features not in FEATURES:
        raise ValueError(f"Unknown features {features!r}; choose one of {', '.join(FEATURES)}.")
    if features == "musicnn" and (model != "dense" or segment_seconds or augment):
        raise ValueError(
            "features='musicnn' gives one embedding per clip: it needs model='dense' and no "
            "segment_seconds or augment (musicnn cuts its own 3-s patches)."
        )
    if augment and not segment_seconds:
        raise ValueError("augment needs segment_seconds: the augmenter works on segments.")
    if pitch_semitones and not augment:
        raise ValueError("pitch_semitones is a setting of the augmenter: it needs augment.")
    if normalize is not None and (model == "dense" or features == "musicnn"):
        raise ValueError(
            "normalize centres MFCC frames: it needs features='mfcc' and a network on frames "
            "(model='cnn' or 'lstm')."
        )
    classifier_class = {
        "cnn": models.CNNClassifier,
        "lstm": models.LSTMClassifier,
        "dense": models.DenseClassifier,
    }[model]
    params = {k: v for k, v in classifier_params.items() if v is not None}
    params["random_state"] = random_state
    if callbacks:
        params["callbacks"] = callbacks
    if features == "musicnn":
        from sklearn.pipeline import Pipeline

        from ..pretrained import MusicnnTransformer

        return Pipeline([("musicnn", MusicnnTransformer()), ("clf", classifier_class(**params))])
    steps = [("load", AudioLoader(sr=sr, verbose=verbose, on_unreadable=on_unreadable))]
    if segment_seconds:
        steps.append(("seg", RawSegmenter(segment_seconds=segment_seconds, sr=sr,
                                          max_segments=max_segments)))
    if augment:
        steps.append(("aug", WaveformAugmenter(n_copies=augment, sr=sr,
                                               pitch_semitones=pitch_semitones,
                                               random_state=random_state)))
    output = "stats" if model == "dense" else "frames"
    steps.append(("mfcc", MFCCTransformer(sr=sr, n_mfcc=n_mfcc, output=output,
                                          normalize=normalize, **spectral_params(sr))))
    steps.append(("clf", classifier_class(**params)))
    return StreamingPipeline(steps, chunk_size=chunk_size)


def cache_features(pipeline, folder):
    """The same pipeline with its feature steps in a :class:`~sklearn_audio.tuning.CachedTransformer`.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Feature steps followed by the classifier, as :func:`build_pipeline`
        makes. The feature steps keep the pipeline's class, so those of a
        :class:`~sklearn_audio.StreamingPipeline` still stream.
    folder : str
        The cache folder.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``features`` (the cached feature steps) and the classifier's,
        under its own name: ``clf__`` parameters keep their names.

    Examples
    --------
    >>> from sklearn_audio.cli._pipelines import build_pipeline, cache_features
    >>> cached = cache_features(build_pipeline("dense", sr=8000), folder="feature-cache")
    >>> [name for name, _ in cached.steps]
    ['features', 'clf']
    """
    from sklearn.pipeline import Pipeline

    from ..tuning import CachedTransformer

    features = pipeline[:-1]
    return Pipeline([("features", CachedTransformer(features, memory=folder)), pipeline.steps[-1]])
