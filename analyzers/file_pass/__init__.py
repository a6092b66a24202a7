"""The per-file pass: one file's bytes and module path in, a FileResult out.

`names` and `scopes` resolve a module's names; `ast_walk` reads a file with
no async code (Python's ast), `cst_walk` one that has some (libcst);
`classify` turns what a def awaits and calls into its facts, `twins` pairs
defs by the naming conventions, `duplication` compares twin bodies,
`variants` numbers same-named defs; `analyze` puts a FileResult together.
"""
