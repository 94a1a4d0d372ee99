"""Static check of an untrusted SavedModel: every op of every graph function against an allowlist.

``saved_model.pb`` is parsed as a protobuf; TensorFlow never loads it here. Malicious models hide
file, network and print ops in functions that a shallow scan of the top-level graph never sees:
``tf.cond`` / ``While`` branches, functions called through func-typed attributes, or functions no
signature calls at all (TensorFlow registers every library function at load time, and the loader
runs resource initialisers). So the check visits every node of the top-level graph and of **every**
function in the library, reachable or not.

The allowlist (``op_allowlist.py``) holds op types by kind: pure math, array, image and
neural-network computation, variables in memory and functional control flow, whose branch and
body functions are checked like all others and whose loops the sandbox's time limits bound.
``python -m pvdefects.security.graph_check DIR`` lists the ops of an export and those refused.
Checkpoint ops (``SaveV2``, ``RestoreV2``, ...) are allowed only in the saver functions named by
the meta graph's ``saver_def`` and only while no other function, node or object can reach them:
the serving signature never reads or writes files.
See docs/security.md for the threat model.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pvdefects.contract import DECISIONS, SIGNATURE, Tensor, signature_problem
from pvdefects.security.op_allowlist import ALLOWED_OPS, CHECKPOINT_OPS
from pvdefects.security.rejected import Rejected

TOP_LEVEL = "the top-level graph"
_MAX_LISTED = 4  # locations named in one rejection line


def read_saved_model(path: Path, source: str):
    """Parse ``saved_model.pb`` without loading it into TensorFlow."""
    # lazy: the modules of this package import nothing heavy (security/__init__.py)
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model = saved_model_pb2.SavedModel()
    try:
        saved_model.ParseFromString(path.read_bytes())
    except (DecodeError, RecursionError, ValueError) as error:
        raise Rejected(
            f"{source}: saved_model.pb is not a valid SavedModel ({error}); export it with TensorFlow"
        ) from None
    if len(saved_model.meta_graphs) != 1:
        raise Rejected(
            f"{source}: the SavedModel holds {len(saved_model.meta_graphs)} meta graphs; export exactly one "
            "(tf.saved_model.save does)"
        )
    return saved_model


def _attr_functions(value) -> set[str]:
    """Function names in one AttrValue: ``func``, lists of funcs, and funcs nested in their attrs."""
    funcs = ([value.func] if value.HasField("func") else []) + list(value.list.func)
    names = {func.name for func in funcs}
    for func in funcs:
        for nested in func.attr.values():
            names |= _attr_functions(nested)
    return names


def node_functions(node, library: set[str]) -> set[str]:
    """Functions a node calls: as its op type, or through any func-typed attribute."""
    names = {node.op} & library
    for value in node.attr.values():
        names |= _attr_functions(value)
    return names


def _closure(roots: set[str], calls: dict[str, set[str]]) -> set[str]:
    """Every function reachable from ``roots`` through ``calls``."""
    seen, stack = set(), list(roots)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(calls.get(name, ()))
    return seen


def _tensor_node(tensor_name: str) -> str:
    return tensor_name.lstrip("^").split(":")[0]


def saver_functions(meta_graph) -> set[str]:
    """Functions that may use checkpoint ops: reachable from the saver's nodes and from nothing else."""
    graph = meta_graph.graph_def
    library = {function.signature.name for function in graph.library.function}
    calls = {
        function.signature.name: set().union(*(node_functions(node, library) for node in function.node_def))
        for function in graph.library.function
    }
    saver_def = meta_graph.saver_def
    saver_nodes = {
        _tensor_node(name) for name in (saver_def.save_tensor_name, saver_def.restore_op_name) if name
    }
    saver_roots, other_roots = set(), set(meta_graph.object_graph_def.concrete_functions)
    for node in graph.node:
        (saver_roots if node.name in saver_nodes else other_roots).update(node_functions(node, library))
    candidates = _closure(saver_roots, calls)
    reachable_otherwise = _closure(other_roots | (library - candidates), calls)
    return candidates - reachable_otherwise


def disallowed_ops(meta_graph) -> dict[str, set[str]]:
    """``{location: op types outside the allowlist}`` over the top-level graph and every function."""
    graph = meta_graph.graph_def
    library = {function.signature.name for function in graph.library.function}
    savers = saver_functions(meta_graph)
    found: dict[str, set[str]] = {}
    locations = [(TOP_LEVEL, graph.node, ALLOWED_OPS)] + [
        (
            f"function {function.signature.name}",
            function.node_def,
            ALLOWED_OPS | CHECKPOINT_OPS if function.signature.name in savers else ALLOWED_OPS,
        )
        for function in graph.library.function
    ]
    for location, nodes, allowed in locations:
        bad = {node.op for node in nodes if node.op not in allowed and node.op not in library}
        if bad:
            found[location] = bad
    return found


def described(info) -> Tensor:
    """A signature's ``TensorInfo`` protobuf as the contract describes tensors."""
    from tensorflow import dtypes  # lazy, as in read_saved_model: importing this module stays cheap

    shape = info.tensor_shape
    dims = None if shape.unknown_rank else tuple(dim.size if dim.size >= 0 else None for dim in shape.dim)
    return Tensor(dtypes.as_dtype(info.dtype).name, dims)


def check_signature(meta_graph, source: str) -> None:
    """The contract (:func:`pvdefects.contract.signature_problem`); scoring needs only ``y``."""
    signatures = meta_graph.signature_def
    if SIGNATURE not in signatures:
        raise Rejected(
            f"{source}: the SavedModel has no '{SIGNATURE}' signature (it has: "
            f"{', '.join(signatures) or 'none'}); save it with signatures={{'{SIGNATURE}': ...}}"
        )
    signature = signatures[SIGNATURE]
    problem = signature_problem(
        {name: described(info) for name, info in signature.inputs.items()},
        {name: described(info) for name, info in signature.outputs.items()},
        needed=(DECISIONS,),
    )
    if problem:
        raise Rejected(f"{source}: {problem}")


def check_saved_model(model_dir: Path, source: str) -> None:
    """Reject the SavedModel in ``model_dir`` unless its signature and every op in it are allowed."""
    meta_graph = read_saved_model(model_dir / "saved_model.pb", source).meta_graphs[0]
    check_signature(meta_graph, source)
    found = disallowed_ops(meta_graph)
    if found:
        listed = sorted(found.items(), key=lambda item: item[0] != TOP_LEVEL)[:_MAX_LISTED]
        where = "; ".join(f"{', '.join(sorted(ops))} in {location}" for location, ops in listed)
        more = f" (and {len(found) - _MAX_LISTED} more functions)" if len(found) > _MAX_LISTED else ""
        raise Rejected(
            f"{source}: the model uses operations that scoring does not allow: {where}{more}. A scored "
            "model may only compute on its input (no files, printing, network or tables); docs/security.md "
            "lists the allowed operations"
        )


def op_inventory(meta_graph) -> dict[str, list[str]]:
    """``{location: sorted op types}``: what an export uses, for maintaining the allowlist."""
    graph = meta_graph.graph_def
    inventory = {TOP_LEVEL: sorted({node.op for node in graph.node})}
    inventory.update(
        {
            function.signature.name: sorted({node.op for node in function.node_def})
            for function in graph.library.function
        }
    )
    return inventory


def main(argv: list[str] | None = None) -> None:
    """Print the op types of each SavedModel folder given, and those outside the allowlist."""
    for folder in argv if argv is not None else sys.argv[1:]:
        meta_graph = read_saved_model(Path(folder) / "saved_model.pb", folder).meta_graphs[0]
        for location, ops in op_inventory(meta_graph).items():
            print(f"{folder}: {location}: {' '.join(ops)}")
        print(f"{folder}: saver functions: {' '.join(sorted(saver_functions(meta_graph))) or 'none'}")
        print(f"{folder}: outside the allowlist: {disallowed_ops(meta_graph) or 'nothing'}")


if __name__ == "__main__":
    main()
