"""The `qroute` command line (the only layer that imports terminal-UI libraries)."""
