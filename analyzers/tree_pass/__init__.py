"""The tree pass: every file's FileResult in, one TreeResult out, no source
read again.

`index` holds the tree's symbols, `receivers` types the object of `obj.m()`,
`reach` follows awaited calls to where they end, `entry_points` judges a
component's async entry points, `components` maps modules to components and
summarises each; `analyze` runs them over a tree.
"""
