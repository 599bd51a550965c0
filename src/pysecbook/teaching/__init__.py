"""The teaching library: everything the book's pages run.

:mod:`~pysecbook.teaching.risks` is the risk catalogue (each risk's insecure code, secure
code and attack); the other modules hold the demonstrations of the chapters: the sandbox
every untrusted snippet runs in, the supply-chain and culture pages, the sample projects.
It may use the checker (a page shows ``pysecbook check`` at work); the risk catalogue never
does.
"""
