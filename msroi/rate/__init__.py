"""Rate control: size targets and the search for the best file that meets one.

``budget`` (a :class:`Budget` -> one image's byte limit; a :class:`QualityTarget` to match
instead), ``search`` (the codec's knobs searched under the limit: :func:`search_quality`,
:func:`refine`, :func:`compress_to_budget`), ``allocate`` (one budget split over a set).
"""

from msroi.rate.allocate import RatePoint, allocate
from msroi.rate.budget import (DEFAULT_BUDGET, DEFAULT_REFERENCE_QUALITY, MAX_BUDGET_BPP,
                               MAX_BUDGET_BYTES, Budget, QualityTarget)
from msroi.rate.search import (PROXY_STEPS, SCALE_RANGE, SearchResult, compress_to_budget,
                               largest_under, lowest_reaching, refine, search_quality)

__all__ = ["DEFAULT_BUDGET", "DEFAULT_REFERENCE_QUALITY", "MAX_BUDGET_BPP", "MAX_BUDGET_BYTES",
           "PROXY_STEPS", "SCALE_RANGE", "Budget", "QualityTarget", "RatePoint", "SearchResult",
           "allocate", "compress_to_budget", "largest_under", "lowest_reaching", "refine",
           "search_quality"]
