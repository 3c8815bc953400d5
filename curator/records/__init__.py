"""The record stage: ERP rows pulled from a source into the store, keyed by their natural key.

>>> ingest_records(workspace, open_record_source("csv:erp/RBKP.csv"), actor="ana", key=["BELNR"])
"""

from curator.records.pull import RecordProblem, RecordReport, ingest_records

__all__ = ["RecordProblem", "RecordReport", "ingest_records"]
