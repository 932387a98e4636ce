"""The semantic model of one file, one question per module.

- ``syntax``: plain syntax helpers and the fast read-only walk;
- ``collect`` / ``records``: the one walk and what it records (bindings, attribute and
  container stores, returns, calls, definitions, main guards);
- ``kinds``: what an object is (the ``Kind`` enum) and how it reached a child (``Via``);
- ``kind_inference``: what an expression holds, through names, ``self.x``/``obj.x``,
  containers, loops, return values and parameters;
- ``values``: where a value comes from (the constructor calls it may hold);
- ``classes``: subclasses of library classes (one fixpoint), instance classes, what an
  attribute is bound to across methods and from outside;
- ``reach``: the call graph (calls, ``Cls()`` -> ``__init__``, decorators' wrappers,
  ``obj.m()``), ``reachable_from`` and ``functions_reaching``;
- ``api``: the process APIs' parameters by keyword and position, and the queries on a call.

``mplint.facts.Facts`` is built from ``collect`` in one walk and answers through these
modules; ``mplint.flow`` answers the order questions (``in_loop``, ``decided_regions``).
"""
