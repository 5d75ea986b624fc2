"""`ids2 alerts`: the sensor's alerts from OpenSearch, the local spool or the RAM disk."""
