"""Progress bars: over training epochs (a Keras callback), and over files."""

import sys


def epoch_progress_bar(description="training"):
    """A Keras callback showing one tqdm bar step per epoch, with the latest metrics.

    Keras is imported here, when a model is about to train, not when the
    command starts.
    """
    import keras
    from tqdm.auto import tqdm

    from ..models._training import MODEL_FREE

    class EpochProgressBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self._bar = tqdm(total=self.params.get("epochs"), desc=description, unit="epoch",
                             leave=False)

        def on_epoch_end(self, epoch, logs=None):
            shown = {k: f"{v:.3f}" for k, v in (logs or {}).items() if k in
                     ("loss", "accuracy", "val_loss", "val_accuracy")}
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)

        def on_train_end(self, logs=None):
            done, total = self._bar.n, self._bar.total
            if total and done < total:
                # Early stopping ended the fit: without this the bar would stay at
                # "24/100" as if frozen while the best weights are restored.
                self._bar.total = done
                self._bar.set_description(f"{description}: stopped early at epoch {done}",
                                          refresh=False)
                self._bar.refresh()
            self._bar.close()

        def __deepcopy__(self, memo):
            # Estimators are cloned; a fresh callback with the same description is the copy.
            return type(self)()

        def __reduce__(self):
            return (epoch_progress_bar, (description,))

    # It reads the logs only, never the model, so the fit may run on a reused trainer.
    setattr(EpochProgressBar, MODEL_FREE, True)
    return EpochProgressBar()


def file_progress_bar(total, *, quiet=False, description="predicting"):
    """A tqdm bar over ``total`` files on stderr; silent when quiet or not on a terminal.

    Output redirected to a file or a pipe (a batch job, a log) gets no bar,
    as bars there are only noise.
    """
    from tqdm.auto import tqdm

    disable = quiet or not sys.stderr.isatty()
    return tqdm(total=total, desc=description, unit="file", disable=disable, file=sys.stderr)
