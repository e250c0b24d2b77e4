"""High-speed-rail cargo scheduling with truck first/last mile (a second problem family)."""
