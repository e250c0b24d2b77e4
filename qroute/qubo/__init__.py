"""QUBO formulations of subproblems and their exact classical counterparts."""
