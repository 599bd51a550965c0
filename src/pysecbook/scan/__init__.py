"""Reading and scanning a target without executing any of its code.

Targets (a directory, an sdist, a wheel, an installed distribution) are read into
:class:`~pysecbook.scan.model.Target` objects; archives are read member by member in memory,
never extracted. Scanning produces data (:class:`~pysecbook.scan.model.Finding`,
:class:`~pysecbook.scan.model.Unscanned`) and never formats it. Book chapter: ``book/checklist``.
"""
