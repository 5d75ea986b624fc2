"""The container stack: compose and the engine, stack and Prometheus files, the stack collector."""
