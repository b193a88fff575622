"""Image -> importance map: float32 (H, W) in [0, 1], the photo's exact height and width.

``recipes`` (the four recipes, :func:`generate_map`, :func:`semantic_map`, the overlay),
``cues`` (the fused map's cues and the border prior), ``guided`` (edge-aware filtering),
``readout`` (the fixation readout: where people look), ``baselines`` (maps without
semantics, for comparison).
"""

from msroi.maps.cues import (BORDER_SHARE, CUE_FLOOR, CUE_NAMES, FINAL_EXPONENT, FUSED_EXPONENT,
                             border_contrast, fuse_cues)
from msroi.arrays import box_mean
from msroi.maps.guided import guided_filter, refine_edges, upsample
from msroi.maps.recipes import (COMBINERS, DEFAULT_RECIPE, DEFAULT_TOP_K, DEFAULT_WORKING_SIZE,
                                MAP_RECIPES, RENAMED_COMBINERS, SemanticMap, combine_ranking, combine_sum,
                                default_recipe, generate_map, overlay, resize_for_network,
                                resolve_model, semantic_map, working_shape)

__all__ = ["BORDER_SHARE", "COMBINERS", "CUE_FLOOR", "CUE_NAMES", "DEFAULT_RECIPE", "DEFAULT_TOP_K",
           "DEFAULT_WORKING_SIZE", "FINAL_EXPONENT", "FUSED_EXPONENT", "MAP_RECIPES", "RENAMED_COMBINERS",
           "SemanticMap", "border_contrast", "box_mean", "combine_ranking", "combine_sum",
           "default_recipe", "fuse_cues", "generate_map", "guided_filter", "overlay", "refine_edges",
           "resize_for_network", "resolve_model", "semantic_map", "upsample", "working_shape"]
