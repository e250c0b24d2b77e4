"""No import cycles among qroute's modules, inside a layer or across (import-linter's layers
contract in .importlinter only forbids upward imports *between* layers).

The graph is grimp's (the library import-linter itself builds on), with function-level
(lazy) imports included: a cycle broken only by importing inside a function is still a cycle.
"""

from __future__ import annotations

import grimp
import networkx as nx


def import_graph() -> nx.DiGraph:
    graph = grimp.build_graph("qroute", exclude_type_checking_imports=True, cache_dir=None)
    edges = nx.DiGraph()
    edges.add_nodes_from(graph.modules)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    return edges


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One cycle (as a module path) per strongly connected group of modules."""
    found = []
    for group in nx.strongly_connected_components(graph):
        if len(group) > 1:
            loop = nx.find_cycle(graph.subgraph(group))
            found.append([importer for importer, _ in loop] + [loop[0][0]])
    return found


def test_no_module_of_qroute_takes_part_in_an_import_cycle() -> None:
    graph = import_graph()
    assert graph.number_of_nodes() > 100  # the whole package was read, not an empty graph
    assert cycles(graph) == []


def test_the_cycle_check_reports_a_cycle() -> None:
    graph = nx.DiGraph([("qroute.a", "qroute.b"), ("qroute.b", "qroute.c")])
    graph.add_edges_from([("qroute.c", "qroute.a"), ("qroute.c", "qroute.d")])
    [loop] = cycles(graph)
    assert set(loop) == {"qroute.a", "qroute.b", "qroute.c"} and loop[0] == loop[-1]
