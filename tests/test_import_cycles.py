"""No import cycle anywhere in the package, function-level imports included: grimp reads every
import statement of every module, wherever it sits, so a cycle cannot hide inside a function."""

import grimp


def _cycles(graph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    order, low, stack, on_stack, groups = {}, {}, [], set(), []
    for root in sorted(imports):
        if root in order:
            continue
        work = [(root, iter(imports[root]))]
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == order[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif target not in order:
                order[target] = low[target] = len(order)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(imports[target])))
            elif target in on_stack:
                low[module] = min(low[module], order[target])
    return groups


def test_the_cycle_finder_finds_a_cycle():
    class Graph:  # a three-module loop and a tail
        modules = {"a", "b", "c", "d"}

        def find_modules_directly_imported_by(self, module):
            return {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}[module]

    assert _cycles(Graph()) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle():
    graph = grimp.build_graph("annotator", cache_dir=None)
    assert _cycles(graph) == []
