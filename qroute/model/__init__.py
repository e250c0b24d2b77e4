"""Model and I/O: problem data, instance and solution files, scenarios, validation."""
