"""Twins within one module on a real sdist: how many public async defs have
a twin, how many pairs and how many derivable (docs/benchmarks.md, "Twins
in the wild": Stainless's sibling classes).

    .venv/bin/python tests/analyzers/sibling_recall.py anthropic==2.15.0

The tree's settings are found as `python -m analyzers` finds them. The
async defs left without a twin are listed (overload stubs among them).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1])]

from analyzers.cli import tree_config  # noqa: E402
from analyzers.records import Relation  # noqa: E402
from analyzers.tree_pass.analyze import analyze_tree  # noqa: E402
from tracker.sources.sdist import fetch_tree  # noqa: E402


def main(requirement: str) -> None:
    name, _, version = requirement.partition("==")
    tree = fetch_tree(
        package=name, spec=f"=={version}", cache_dir=HERE.parents[1] / ".cache/sdists"
    )
    result = analyze_tree(tree, tree_config(tree))
    public = [
        f
        for f in result.functions
        if f.is_async and f.public and "<locals>" not in f.qualname
    ]
    relations = [p.relation for p in result.pairs]
    print(
        f"{name} {version}: public async defs {len(public)},"
        f" with a twin {sum(bool(f.twin) for f in public)},"
        f" pairs {len(relations)},"
        f" derivable {relations.count(Relation.DERIVABLE)}"
    )
    for f in public:
        if not f.twin:
            print(f"  no twin: {f.module}.{f.qualname}")


if __name__ == "__main__":
    main(sys.argv[1])
