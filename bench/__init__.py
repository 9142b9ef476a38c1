"""Load benchmarks for chatsvc, each measured beside a bare reference in the same run (house rule 12).

``python -m bench.load`` (or ``make bench``): see ``bench/README.md`` for what is measured and how to read it.
"""
