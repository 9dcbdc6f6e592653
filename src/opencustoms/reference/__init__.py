"""Reference data shipped with the package, and the strict loaders that read it."""
