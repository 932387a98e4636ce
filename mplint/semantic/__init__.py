"""The semantic model of one file, one question per module.

- ``kinds``: what an object is (the ``Kind`` enum) and how it reached a child (``Via``);
- ``api``: the process APIs' parameters by keyword and position, and the queries on a call;
- ``classes``: subclasses of library classes (one fixpoint) and what their methods bind;
- ``reach``: which functions of this file a set of roots reaches through calls,
  constructors and decorators.

``mplint.facts.Facts`` gathers the records in one walk and answers through these modules.
"""
