"""Training the MSROI network: class-labelled folders or manifests -> tf.data -> fit loop
(supervised or distilled from a shipped ImageNet teacher) -> a model preset.

Also the two smaller models: the fixation readout (:mod:`msroi.training.readout`, on
eye-fixation sets) and the post-filter decoder (:mod:`msroi.training.postfilter`, which
encodes its training photos with the JPEG encoders it learns to undo). Each run ends in a
preset that :func:`msroi.load_model` reads.
"""
