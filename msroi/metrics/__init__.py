"""Image quality metrics. Inputs are uint8 RGB (H, W, 3) or grey (H, W) arrays of equal
shape, reference first; nothing here knows how a file was made.

The six metrics of the paper's table are reachable by name through
:func:`compute_metrics` (protocols ``"vqmt"``, the paper's: VQMT-style luma of a yuv420 conversion,
and ``"rgb"``).
"""

from msroi.metrics.aggregate import (bd_rate, bits_per_pixel, bytes_at_quality, dataset_psnr,
                                     pixel_weighted_mean, pooled_psnr)
from msroi.metrics.basic import (luma, multiscale_structural_similarity, peak_signal_noise_ratio,
                                 ssim_map, structural_similarity, studio_luma, weighted_psnr,
                                 weighted_ssim)
from msroi.metrics.fixations import (auc_judd, correlation_coefficient, fixation_density,
                                     fixation_scores, human_ceiling, kl_divergence, nss,
                                     shuffled_auc, similarity)
from msroi.metrics.hvs import psnr_hvs, psnr_hvs_m, psnr_hvs_m_rgb
from msroi.metrics.maps import map_auc, mass_inside, recall_at_area
from msroi.metrics.protocol import METRIC_NAMES, PROTOCOLS, compute_metrics
from msroi.metrics.region import error_share_inside, region_psnr, region_ssim
from msroi.metrics.vif import visual_information_fidelity

__all__ = [
    "METRIC_NAMES", "PROTOCOLS", "auc_judd", "bd_rate", "bits_per_pixel", "bytes_at_quality",
    "compute_metrics",
    "correlation_coefficient", "dataset_psnr", "error_share_inside", "fixation_density",
    "fixation_scores", "human_ceiling", "kl_divergence", "luma", "map_auc", "mass_inside",
    "multiscale_structural_similarity", "nss", "peak_signal_noise_ratio", "pixel_weighted_mean",
    "pooled_psnr", "psnr_hvs", "psnr_hvs_m", "psnr_hvs_m_rgb", "recall_at_area", "region_psnr", "region_ssim",
    "shuffled_auc", "similarity", "ssim_map", "structural_similarity", "studio_luma",
    "visual_information_fidelity", "weighted_psnr", "weighted_ssim",
]
