"""Speed and memory measurements: `make bench`. Tests never assert timings; these do not assert."""
