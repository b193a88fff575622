"""Batch compression of files and folder trees: plan -> jobs on one executor -> outputs.

``plan`` (input -> unique output, checked before any work), ``manifest`` (the output
folder's lock and commit log: what msroi wrote, what is done), ``job`` (the pure per-file
job), ``executor`` (here, a local process pool, or Dask), ``run`` (the whole run: resume,
no-overwrite, signals, report).
"""

from msroi.parallel import (
                                  DASK_ENV,
                                  check_dask_address,
                                  make_executor,
                                  run_unordered,
                                  usable_cores,
)
from msroi.batch.job import CompressSettings, JobResult, compress_file
from msroi.batch.manifest import LOCK_NAME, MANIFEST_NAME
from msroi.batch.plan import Plan, plan_outputs
from msroi.batch.run import REPORT_NAME, BatchReport, OutputFolder, compress_files

__all__ = ["DASK_ENV", "check_dask_address", "LOCK_NAME", "MANIFEST_NAME", "REPORT_NAME", "BatchReport",
           "CompressSettings", "JobResult", "OutputFolder", "Plan", "compress_file",
           "compress_files", "make_executor", "plan_outputs", "run_unordered", "usable_cores"]
