"""Export a trained model as a self-contained SavedModel submission (``model.zip``) and read it back."""
