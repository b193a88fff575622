"""Files and folder trees: plan -> jobs on the one executor (:mod:`msroi.parallel`) -> outputs.

``plan`` (input -> unique output, checked before any work), ``manifest`` (the output
folder's lock and commit log: what msroi wrote, what is done), ``job`` (the pure per-file
job), ``run`` (the whole run: resume, no-overwrite, signals, report), ``sets`` (one budget
for a whole set), ``decode`` (JPEGs -> PNGs under the same rules), ``single`` (one file or
a pipe: map, compress, decode).
"""

from msroi.batch.job import CompressSettings, JobResult, compress_file
from msroi.batch.manifest import LOCK_NAME, MANIFEST_NAME
from msroi.batch.plan import Plan, plan_outputs
from msroi.batch.run import REPORT_NAME, BatchReport, OutputFolder, compress_files

__all__ = ["LOCK_NAME", "MANIFEST_NAME", "REPORT_NAME", "BatchReport", "CompressSettings", "JobResult",
           "OutputFolder", "Plan", "compress_file", "compress_files", "plan_outputs"]
