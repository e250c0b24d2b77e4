"""The hybrid pipeline: partition, dispatch, stitch and improve."""
