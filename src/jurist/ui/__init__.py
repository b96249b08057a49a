"""The Judge Builder UI: pages served by ``jurist server`` at ``/``.

Server-rendered pages over the same store, gateway and judges as the REST API, in the same process and
behind the same auth. Assets ship inside the package; nothing is fetched from a CDN.
"""
