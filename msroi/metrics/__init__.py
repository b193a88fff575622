"""Image quality metrics. Inputs are uint8 RGB (H, W, 3) or grey (H, W) arrays of equal
shape; nothing here knows how a file was made."""

from msroi.metrics.basic import luma, peak_signal_noise_ratio, structural_similarity

__all__ = ["luma", "peak_signal_noise_ratio", "structural_similarity"]
