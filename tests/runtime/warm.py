"""A stand-in warm-up module: its presence in a worker's `sys.modules` proves warm-up ran."""
