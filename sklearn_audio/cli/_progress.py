"""A tqdm progress bar over training epochs, as a Keras callback."""


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
            self._bar.close()

        def __deepcopy__(self, memo):
            # Estimators are cloned; a fresh callback with the same description is the copy.
            return type(self)()

        def __reduce__(self):
            return (epoch_progress_bar, (description,))

    # It reads the logs only, never the model, so the fit may run on a reused trainer.
    setattr(EpochProgressBar, MODEL_FREE, True)
    return EpochProgressBar()
