"""Training the MSROI network: class-labelled folders or manifests -> tf.data -> fit loop
(supervised or distilled from a shipped ImageNet teacher) -> a model preset.

Nothing here opens JPEG encoders; the result is a preset that :func:`msroi.load_model` reads.
"""
